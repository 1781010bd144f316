"""zen_nb.plots.PROJECTOR: a matplotlib style for projectors, opaque white so it reads in either theme."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from zen_nb.plots import PROJECTOR

matplotlib = pytest.importorskip("matplotlib")


def test_the_style_is_one_matplotlib_takes_whole() -> None:
    """Every key is an rcParam that ``plt.style.use`` applies (it drops, with a warning, those it won't)."""
    from matplotlib import style

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with style.context(PROJECTOR):
            assert {name: matplotlib.rcParams[name] for name in PROJECTOR} == PROJECTOR


def test_a_figure_drawn_with_it_is_opaque_white_and_projector_sized() -> None:
    # A new process: the style changes rcParams for the whole session, as it does in a notebook.
    code = (
        "import matplotlib; matplotlib.use('agg')\n"
        "import io, matplotlib.pyplot as plt\n"
        "from IPython.core.pylabtools import print_figure\n"
        "from zen_nb.plots import PROJECTOR\n"
        "plt.style.use(PROJECTOR)\n"
        "fig, ax = plt.subplots(figsize=(10, 4))\n"
        "ax.bar(['1', '2'], [3, 4]); ax.set(title='t', xlabel='day', ylabel='n')\n"
        "print(repr(fig))\n"
        "png = print_figure(fig, 'png')\n"  # what the inline backend puts in the notebook
        "image = plt.imread(io.BytesIO(png))\n"
        "print(image.shape[2] if image.ndim == 3 else 1, image[0, 0].tolist())\n"
        "print(ax.title.get_fontsize(), ax.xaxis.label.get_fontsize(), ax.get_xticklabels()[0].get_rotation())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    size, corner, fonts = result.stdout.splitlines()
    assert size == "<Figure size 1440x576 with 1 Axes>"  # the text/plain nbval compares
    channels, pixel = corner.split(" ", 1)
    assert pixel in ("[1.0, 1.0, 1.0, 1.0]", "[1.0, 1.0, 1.0]")  # white, and never transparent
    assert fonts.split() == ["14.0", "12.0", "0.0"]
