"""A matplotlib style for figures shown on a projector and read in either JupyterLab theme.

``plt.style.use(zen_nb.plots.PROJECTOR)`` (matplotlib's own way to set a style, so an analyst
can read, extend or drop it) raises the resolution and the font sizes, keeps tick labels
horizontal, and draws every figure on an opaque white background.

Why white rather than following the theme: a figure is a PNG, fixed when the cell runs and
saved in the notebook, and the kernel cannot know which theme will show it (the same saved
notebook opens in either). A transparent figure (``savefig.transparent``, or matplotlib-inline
before 0.1.4) puts its black text and axes on the dark theme's grey: unreadable; a figure drawn
for the dark theme is as bad in the light one. An opaque white figure, said here rather than left
to whatever rcParams the user's setup has, reads the same in the light, dark and high-contrast
themes (a white card on a dark page, as slides show charts).

Sizes: at ``figure.dpi`` 144 a figure of 10 × 3.5 inches is 1440 × 504 pixels
(``<Figure size 1440x504 with 1 Axes>``, the text nbval compares); JupyterLab scales it down to
the output's width, which keeps 12-point text at about 17 px on a 1280 px wide projector, and
sharp at 150 % zoom.
"""

from __future__ import annotations

from typing import Any

#: a matplotlib style (a dict of rcParams), for ``matplotlib.pyplot.style.use``
PROJECTOR: dict[str, Any] = {
    "figure.dpi": 144,
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "axes.facecolor": "white",
    "figure.constrained_layout.use": True,  # titles, labels and legends never clipped
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,  # grid lines behind the bars
    "grid.alpha": 0.35,
    "lines.linewidth": 2,
}
