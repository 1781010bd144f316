"""A plain ``pip install zen_nb`` (no extras): every command names the install it needs, in one line.

The package is built as a wheel and installed with ``--no-deps`` into a fresh venv; its base
dependencies come from this test environment through a folder that holds every installed
distribution except those of the ``sandbox``, ``analysis`` and ``lab`` extras (FastAPI, Starlette,
uvicorn, httptools, JupyterLab, pyarrow, DuckDB), so the venv is what ``pip install zen_nb`` gives, without a download.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from notebook_sandbox import ROOT
from processes import clean_env

pytestmark = pytest.mark.slow

# Top-level names (modules and their dist-info) that only the extras bring.
EXTRAS_ONLY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "httptools",
    "jupyterlab",
    "jupyter_server",
    "notebook_shim",
    "pyarrow",
    "duckdb",
)


def _base_only(site_packages: Path, folder: Path) -> None:
    """Link every entry of ``site_packages`` into ``folder``, except the extras' and zen_nb's own."""
    folder.mkdir()
    for entry in site_packages.iterdir():
        top = entry.name.split("-", 1)[0].split(".", 1)[0].lower()
        if top in EXTRAS_ONLY or top.startswith(("zen_nb", "__editable__", "_zen_nb")) or entry.suffix == ".pth":
            continue
        (folder / entry.name).symlink_to(entry)


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin/`` of a venv with the zen_nb wheel and its base dependencies only."""
    tmp = tmp_path_factory.mktemp("plain")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("zen_nb", "notebooks"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp / "dist"), str(source)], check=True, timeout=300)
    (wheel,) = (tmp / "dist").glob("zen_nb-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], check=True, timeout=300)
    base = tmp / "base-dependencies"
    _base_only(Path(sysconfig.get_paths()["purelib"]), base)
    venv_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(venv_site) / "base-dependencies.pth").write_text(f"{base}\n")
    yield venv / "bin"


def run(
    bin_dir: Path, *args: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or clean_env(tmp_path),
        cwd=tmp_path,
    )


def test_the_venv_has_the_base_dependencies_and_not_the_extras(plain_install, tmp_path):
    result = run(
        plain_install,
        "python",
        "-c",
        "import importlib.util as u, zen_nb\n"
        "print(zen_nb.__file__)\n"
        "names = ('requests', 'pandas', 'ipywidgets', 'fastapi', 'uvicorn', 'jupyterlab')\n"
        "print([m for m in names if u.find_spec(m)])",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    installed_at, found = result.stdout.splitlines()
    assert str(plain_install.parent) in installed_at  # the wheel's copy, not the checkout
    assert found == "['requests', 'pandas', 'ipywidgets']"


@pytest.mark.parametrize(
    ("command", "install"),
    [("sandbox", "pip install 'zen_nb[sandbox]'"), ("lab", "pip install 'zen_nb[lab]'")],
)
def test_a_command_without_its_extra_is_one_line_naming_the_install(plain_install, tmp_path, command, install):
    result = run(plain_install, "zen-nb", command, tmp_path=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"zen-nb {command}: ") and f"`{install}`" in result.stderr
    assert "Traceback" not in result.stderr


def test_starting_a_sandbox_from_python_names_the_install(plain_install, tmp_path):
    result = run(
        plain_install,
        "python",
        "-c",
        "import zen_nb\ntry:\n    zen_nb.sandbox.start()\nexcept ImportError as error:\n"
        "    print(type(error).__name__, error)\n",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("SandboxNotInstalled the sandbox needs fastapi, uvicorn, httptools")
    assert "`pip install 'zen_nb[sandbox]'`" in result.stdout


def test_the_client_and_load_flows_work_against_a_sandbox_elsewhere(plain_install, tmp_path, api):
    env = {**clean_env(tmp_path), **api.box.env()}
    result = run(
        plain_install,
        "python",
        "-c",
        "import zen_nb\nprint(zen_nb.ZenClient().get_tenant().id, len(zen_nb.load_flows(progress=False).columns))",
        tmp_path=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["tenant_demo", "10"]


@pytest.mark.parametrize(
    ("call", "needs"),
    [
        ("zen_nb.sync_attempts('history', since='2026-11-01')", "pyarrow"),
        ("zen_nb.attempts_dataset('history')", "duckdb"),
    ],
)
def test_the_history_without_the_analysis_extra_names_the_install(plain_install, tmp_path, api, call, needs):
    env = {**clean_env(tmp_path), **api.box.env()}
    code = f"import zen_nb\ntry:\n    {call}\nexcept zen_nb.ZenError as error:\n    print(type(error).__name__, error)"
    result = run(plain_install, "python", "-c", code, tmp_path=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    function = call.split("(")[0].removeprefix("zen_nb.")
    assert result.stdout.startswith(f"ZenError {function} needs {needs}"), result.stdout
    assert "`pip install 'zen_nb[analysis]'`" in result.stdout
    assert not (tmp_path / "history").exists()  # refused before anything was written


def test_a_hub_s_config_runs_on_the_plain_install(plain_install, tmp_path):
    """The hub's Python needs `pip install zen_nb` only (the guide's TLJH line): zen_nb.hub imports nothing more."""
    roster = tmp_path / "class-roster.csv"
    roster.write_text(
        "trainee,tenant_id,token,base_url,join_code,plane_id,adapter_id\n"
        "Ada Lovelace,tenant_a,zen_test_secret_a,http://127.0.0.1:8765,K7QM-3XPD,plane_a,adapter_a\n",
        encoding="utf-8",
    )
    code = (
        "import sys\n"
        "from traitlets.config import Config\n"
        "from zen_nb.hub import ClassSpawnHook, configure_class\n"
        "c = Config()\n"
        "configure_class(c, sys.argv[1], login='hub')\n"
        "print(sorted(c.Authenticator.allowed_users.get_value(set())))\n"
        "print(isinstance(c.Spawner.pre_spawn_hook, ClassSpawnHook))"
    )
    result = run(plain_install, "python", "-c", code, str(roster), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['ada-lovelace']", "True"]
