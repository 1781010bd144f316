"""What the package promises about itself: a light import, a sandbox apart, a documented API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import requests

PACKAGE = Path(__file__).resolve().parent.parent / "zen_nb"


def test_importing_zen_nb_and_its_sandbox_package_stays_light():
    code = (
        "import sys, zen_nb, zen_nb.sandbox, zen_nb.cli, zen_nb.errors, zen_nb.config\n"
        "heavy = {'fastapi', 'starlette', 'uvicorn', 'pandas', 'ipywidgets', 'IPython', 'pydantic'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    """The modules a file imports, relative ones resolved against the zen_nb package."""
    tree = ast.parse(path.read_text())
    package_parts = ["zen_nb", *path.parent.relative_to(PACKAGE).parts]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            else:
                found.add(node.module or "")
    return found


def test_the_sandbox_imports_nothing_of_zen_nb_outside_itself():
    for path in (PACKAGE / "sandbox").rglob("*.py"):
        for name in _imports(path):
            if name.startswith("zen_nb"):
                assert name in ("zen_nb",) or name.startswith("zen_nb.sandbox"), f"{path.name} imports {name}"


CLIENT_MODULES = (
    "config",
    "errors",
    "fixes",
    "objects",
    "transport",
    "client",
    "frames",
    "progress",
    "display",
    "names",
    "codegen",
)


def test_the_client_imports_nothing_of_the_sandbox():
    """They meet only in the contract; only the kernel's sandbox link (forms, magics, CLI) may start one."""
    for module in CLIENT_MODULES:
        path = PACKAGE / f"{module}.py"
        assert not [name for name in _imports(path) if name.startswith("zen_nb.sandbox")], path.name


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
    targets = "/tenants/{tenantId}/clusters/{planeId}/targets"
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
        flows: {"get", "post"},
        flows + "/{flowId}": {"get", "patch", "delete"},
        flows + "/{flowId}/pause": {"post"},
        flows + "/{flowId}/resume": {"post"},
        "/tenants/{tenantId}/clusters/{planeId}/ingesters/{ingesterId}/events": {"post"},
        attempts: {"get"},
        attempts + "/{attemptId}": {"get"},
        attempts + "/{attemptId}/retry": {"post"},
        "/_sandbox/delivery": {"get", "put"},
        "/_sandbox/tenants/{tenantId}/clusters/{planeId}/targets/{targetId}/outcome": {"put", "delete"},
        "/_sandbox/simulate": {"post"},
    }
    assert {path: set(ops) for path, ops in paths.items()} == expected
    create = paths[flows]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["$ref"].endswith("/FlowCreate")
    assert "name" in spec["components"]["schemas"]["FlowCreate"]["properties"]
