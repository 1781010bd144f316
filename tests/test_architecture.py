"""What the package promises about itself: a light import, a sandbox apart, a documented API."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import requests

PACKAGE = Path(__file__).resolve().parent.parent / "zen_nb"


def test_importing_zen_nb_and_its_sandbox_package_stays_light():
    code = (
        "import sys, zen_nb, zen_nb.sandbox, zen_nb.cli, zen_nb.errors, zen_nb.config\n"
        "heavy = {'fastapi', 'starlette', 'uvicorn', 'pandas', 'ipywidgets', 'IPython', 'pydantic'}\n"
        "heavy |= {'pyarrow', 'duckdb'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    """The modules a file of zen_nb imports (see :func:`_imports_of_source`)."""
    return _imports_of_source(path.read_text(), ["zen_nb", *path.parent.relative_to(PACKAGE).parts])


def _imports_of_source(source: str, package_parts: list[str]) -> set[str]:
    """The modules a module of the package ``package_parts`` imports, relative ones resolved.

    ``from X import name`` counts as importing ``X.name`` too, so that ``from .. import client``
    inside the sandbox is seen as ``zen_nb.client``, which it is.
    """
    tree = ast.parse(source)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(
                    package_parts[: len(package_parts) - node.level + 1] + ([node.module] if node.module else [])
                )
            else:
                base = node.module or ""
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _zen_imports(path: Path) -> set[str]:
    """The zen_nb modules (or names of them) a file imports, the bare package left out."""
    return _only_zen(_imports(path))


def _only_zen(names: set[str]) -> set[str]:
    return {name for name in names if name.startswith("zen_nb.")}


def _is_module_or_name_in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_vocabulary_imports_only_the_standard_library():
    imported = {name.split(".")[0] for name in _imports(PACKAGE / "vocabulary.py")}
    assert imported <= {"__future__", "re"}, imported


# What the sandbox may read of the rest of zen_nb: the shared names (stdlib-only modules both sides read).
SHARED_WITH_THE_SANDBOX = ("zen_nb.vocabulary", "zen_nb.exercise_catalog")


def test_the_sandbox_imports_of_zen_nb_only_itself_and_the_vocabulary():
    """Client and sandbox meet only in the contract: the sandbox reads the shared names (the vocabulary,
    the exercise catalog), nothing else."""
    crossings = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / "sandbox").rglob("*.py")
        for name in _zen_imports(path)
        if not (
            _is_module_or_name_in(name, "zen_nb.sandbox")
            or any(_is_module_or_name_in(name, shared) for shared in SHARED_WITH_THE_SANDBOX)
        )
    }
    assert not crossings


def test_the_shared_modules_import_only_the_standard_library():
    for shared in SHARED_WITH_THE_SANDBOX:
        path = PACKAGE / (shared.split(".", 1)[1] + ".py")
        imported = {name.split(".")[0] for name in _imports(path)}
        assert imported <= {"__future__", "re", "dataclasses"}, (shared, imported)


def test_the_import_check_sees_a_sandbox_module_importing_the_client():
    """The check above catches ``from .. import client`` (a check of module names alone misses it)."""
    source = "from .. import client\nfrom ..vocabulary import VERSION\nfrom . import data\n"
    found = _only_zen(_imports_of_source(source, ["zen_nb", "sandbox"]))
    assert found == {
        "zen_nb.client",
        "zen_nb.vocabulary",
        "zen_nb.vocabulary.VERSION",
        "zen_nb.sandbox",
        "zen_nb.sandbox.data",
    }


# The kernel's link to a local sandbox: only these modules outside the sandbox may import it
# (to start one for a user); every other module is the client and meets the sandbox over HTTP.
SANDBOX_LINK = {"__init__.py", "cli.py", "lab.py", "local_sandbox.py"}


def test_only_the_kernels_sandbox_link_imports_the_sandbox():
    importers = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "sandbox" not in path.relative_to(PACKAGE).parts[:1]
        and any(_is_module_or_name_in(name, "zen_nb.sandbox") for name in _zen_imports(path))
    }
    assert importers == SANDBOX_LINK


SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE FROM|CREATE|DROP|ALTER TABLE|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b")
DATA_LAYER = PACKAGE / "sandbox" / "data"
#: The kit's other SQL: DuckDB queries of a local attempt history (not the sandbox's storage), in
#: the modules that open it and compute the metrics over it, and nowhere else.
HISTORY_SQL = {"history_dataset.py", "metrics_sql.py", "metrics_sql_buckets.py"}


def _sql_places(source: str, name: str) -> list[str]:
    """Where a module runs a statement (``.execute*``) or holds SQL text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("execute", "executemany", "executescript"):
                found.append(f"{name}:{node.lineno} calls .{node.func.attr}()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"{name}:{node.lineno} {node.value[:60]!r}")
    return found


def test_sql_lives_only_in_the_data_layer():
    outside = [
        place
        for path in PACKAGE.rglob("*.py")
        if DATA_LAYER not in path.parents and str(path.relative_to(PACKAGE)) not in HISTORY_SQL
        for place in _sql_places(path.read_text(), str(path.relative_to(PACKAGE)))
    ]
    assert not outside


def test_the_sql_check_sees_statements_and_sql_text():
    source = 'def f(db, rows):\n    db.executemany(QUERY, rows)\n\nQUERY = "INSERT INTO flows VALUES (?)"\n'
    assert sorted(_sql_places(source, "probe.py")) == [
        "probe.py:2 calls .executemany()",
        "probe.py:4 'INSERT INTO flows VALUES (?)'",
    ]


def test_route_modules_do_not_import_each_other():
    """Shared code lives in the data layer or a helper module, not in another route module."""
    for path in (PACKAGE / "sandbox").glob("routes_*.py"):
        others = {name for name in _zen_imports(path) if name.startswith("zen_nb.sandbox.routes_")}
        assert not others, f"{path.name} imports {others}"


def test_only_the_sandbox_imports_fastapi_or_uvicorn():
    for path in PACKAGE.rglob("*.py"):
        if "sandbox" in path.relative_to(PACKAGE).parts:
            continue
        heavy = {name for name in _imports(path) if name.split(".")[0] in ("fastapi", "starlette", "uvicorn")}
        assert not heavy, f"{path} imports {heavy}"


def test_openapi_documents_every_path_of_the_api(sandbox):
    spec = requests.get(f"{sandbox.base_url}/openapi.json", timeout=30).json()
    paths = spec["paths"]
    flows = "/tenants/{tenantId}/clusters/{planeId}/delivery-flows"
    targets = "/tenants/{tenantId}/clusters/{planeId}/destinations"
    alias = "/tenants/{tenantId}/clusters/{planeId}/targets"  # the alias of every operation of targets
    attempts = "/tenants/{tenantId}/clusters/{planeId}/delivery-attempts"
    expected = {
        "/health": {"get"},
        "/_sandbox/reset": {"post"},
        "/_sandbox/tenants": {"post"},
        "/tenants/{tenantId}": {"get"},
        "/tenants/{tenantId}/clusters": {"get"},
        "/tenants/{tenantId}/clusters/{planeId}": {"get"},
        "/tenants/{tenantId}/clusters/{planeId}/adapters": {"get"},
        "/tenants/{tenantId}/clusters/{planeId}/ingesters": {"get"},
        "/tenants/{tenantId}/clusters/{planeId}/ingesters/{ingesterId}": {"get"},
        targets: {"get", "post"},
        targets + "/{targetId}": {"get", "patch", "delete"},
        alias: {"get", "post"},
        alias + "/{targetId}": {"get", "patch", "delete"},
        flows: {"get", "post"},
        flows + "/{flowId}": {"get", "patch", "delete"},
        flows + "/{flowId}/pause": {"post"},
        flows + "/{flowId}/resume": {"post"},
        "/tenants/{tenantId}/clusters/{planeId}/ingesters/{ingesterId}/events": {"post"},
        attempts: {"get"},
        attempts + "/{attemptId}": {"get"},
        attempts + "/{attemptId}/retry": {"post"},
        attempts + "/retry": {"post"},
        "/_sandbox/delivery": {"get", "put"},
        "/_sandbox/faults": {"get", "post", "put", "delete"},
        "/_sandbox/faults/{ruleId}": {"get", "delete"},
        "/_sandbox/tenants/{tenantId}/clusters/{planeId}/targets/{targetId}/outcome": {"put", "delete"},
        "/_sandbox/simulate": {"post"},
        "/_sandbox/clock": {"get", "post"},
        "/_sandbox/class": {"get"},
        "/_sandbox/class/join": {"post"},
        "/_sandbox/class/trainees": {"get", "post"},
        "/_sandbox/class/trainees/{trainee}/reset": {"post"},
        "/_sandbox/class/trainees/{trainee}/revoke-code": {"post"},
        "/_sandbox/class/trainees/{trainee}/new-code": {"post"},
        "/_sandbox/class/reset": {"post"},
        "/_sandbox/class/progress": {"get"},
        "/_sandbox/class/exercises": {"get"},
        "/_sandbox/class/exercises/{name}/check": {"post"},
        "/_sandbox/class/exercises/{name}/prepare": {"post"},
    }
    # The v1 surface (/v1/...) has its tests of its own (tests/test_v1_*.py).
    recipe_form = {path: set(ops) for path, ops in paths.items() if not path.startswith("/v1/")}
    assert recipe_form == expected
    create = paths[flows]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["$ref"].endswith("/FlowCreate")
    assert "name" in spec["components"]["schemas"]["FlowCreate"]["properties"]
