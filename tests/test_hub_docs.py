"""The guide's JupyterHub lines, run: the Zero to JupyterHub values and the TLJH copy work as printed.

``notebooks/training/README.md`` gives a ``config.yaml`` for Zero to JupyterHub: two
``hub.extraFiles`` (this module's file, the roster) and a ``hub.extraConfig`` that imports the one
and reads the other. Here the files are put where the values mount them (under a temporary
root), the chart's config folder goes on ``sys.path`` as the chart's own ``jupyterhub_config.py``
puts it, and the ``extraConfig`` runs as the chart runs it: with ``c`` and the chart's own
``get_config`` (which takes a key, not traitlets' ``get_config()``). So a renamed module, a
mount path that does not match the import, or a snippet calling ``get_config()`` fails here.
The ``--set-file`` line's Python is run too: it must print this module's file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from traitlets.config import Config

from zen_nb import hub
from zen_nb.sandbox.roster_file import RosterRow, write_roster

GUIDE = Path(__file__).parents[1] / "notebooks" / "training" / "README.md"
CHART_CONFIG_DIR = "/usr/local/etc/jupyterhub"  # where the chart's jupyterhub_config.py lives, put on sys.path


def _z2jh_values() -> dict[str, Any]:
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("### On Zero to JupyterHub", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the guide's Zero to JupyterHub section has a yaml block"
    return yaml.safe_load(block.group(1))


def test_the_z2jh_values_mount_what_their_extra_config_imports_and_reads(tmp_path: Path) -> None:
    values = _z2jh_values()
    files = values["hub"]["extraFiles"]
    assert set(files) == {"zen-nb-hub", "zen-class-roster"}
    root = tmp_path / "pod"

    def mounted(path: str) -> Path:
        local = root / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        return local

    module_path = files["zen-nb-hub"]["mountPath"]
    assert str(Path(module_path).parent) == CHART_CONFIG_DIR  # importable: the chart puts this folder on sys.path
    mounted(module_path).write_text(Path(hub.__file__).read_text(encoding="utf-8"), encoding="utf-8")
    roster_path = files["zen-class-roster"]["mountPath"]
    write_roster(mounted(roster_path), [RosterRow("Ada", "tenant_a", "zen_test_a", None, "plane_a", "adapter_a")], "x")

    extra_config = "\n".join(values["hub"]["extraConfig"].values())
    extra_config = extra_config.replace(roster_path, str(mounted(roster_path)))
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(mounted(module_path).parent)!r})\n"
        "from traitlets.config import Config\n"
        "c = Config()\n"
        "def get_config(key, default=None):  # the chart's own, which shadows traitlets' get_config()\n"
        "    return default\n"
        f"exec({extra_config!r})\n"
        "print(c.JupyterHub.authenticator_class.__module__, sorted(c.Authenticator.allowed_users.get_value(set())))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["zen_nb_hub", "['ada']"]
    assert values["singleuser"]["memory"] == {"guarantee": "512M", "limit": "1G"}


def test_the_set_file_line_prints_this_module_s_file() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    line = re.search(r"zen-nb-hub\.stringData=\"\$\(python -c '([^']+)'\)\"", text)
    assert line, "the helm line sets the module's file with --set-file"
    done = subprocess.run([sys.executable, "-c", line.group(1)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and Path(done.stdout.strip()) == Path(hub.__file__)


def test_the_tljh_line_copies_the_file_class_start_writes(tmp_path: Path) -> None:
    """TLJH loads each ``jupyterhub_config.d/*.py`` with ``load_subconfig``: the written file works so (the real hub
    test loads it the same way); here, that the guide copies the file ``--hub-config`` writes by default."""
    text = GUIDE.read_text(encoding="utf-8")
    copy = re.search(r"sudo cp (\S+) /opt/tljh/config/jupyterhub_config\.d/(\S+\.py)", text)
    assert copy, "the guide copies the hub config into TLJH's jupyterhub_config.d"
    db = re.search(r"zen-nb class start --roster names.txt --db (\S+) --hub-config\n", text)
    assert db, "the guide starts the class with --hub-config"
    assert Path(copy.group(1)) == Path(db.group(1)).with_name(Path(db.group(1)).stem + "-jupyterhub_config.py"), (
        "the file copied is the one --hub-config writes beside that database"
    )
    config = Config()
    roster = tmp_path / "class-roster.csv"
    write_roster(roster, [RosterRow("Ada", "tenant_a", "zen_test_a", None, "plane_a", "adapter_a")], "x")
    from zen_nb.sandbox.hub_config_file import render

    exec(render(roster, tmp_path / "class.sqlite3"), {"get_config": lambda: config})
    assert config.JupyterHub.authenticator_class.roster == roster.resolve()
