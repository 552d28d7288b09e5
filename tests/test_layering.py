"""The app's shape: the core never imports an interface, and its modules form no cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import invites

PACKAGE = Path(invites.__file__).parent
INTERFACES = ("invites.web", "invites.api", "invites.admin", "invites.contrib")


def core_modules() -> dict[str, Path]:
    """Every module of the app outside its interface subpackages, migrations and commands."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(("invites", *path.relative_to(PACKAGE).with_suffix("").parts))
        name = name.removesuffix(".__init__")
        if name.startswith(INTERFACES) or ".migrations" in name:
            continue
        found[name] = path
    return found


def imported(path: Path, *, top_level_only: bool) -> set[str]:
    """The `invites...` modules a file imports (anywhere, or at import time only)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("invites")}


def test_core_modules_never_import_an_interface_subpackage():
    offenders = {
        name: sorted(n for n in imported(path, top_level_only=False) if n.startswith(INTERFACES))
        for name, path in core_modules().items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_core_modules_import_each_other_without_a_cycle():
    modules = core_modules()
    graph = {
        name: {n for n in imported(path, top_level_only=False) if n in modules and n != name}
        for name, path in modules.items()
    }
    # A package's `__init__` re-exporting its modules is no cycle through them.
    for name in graph:
        graph[name] = {n for n in graph[name] if not name.startswith(f"{n}.")}

    cycles = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_only_the_allauth_contrib_app_imports_allauth():
    contrib = PACKAGE / "contrib" / "allauth"
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "allauth"
        )
        for path in PACKAGE.rglob("*.py")
        if contrib not in path.parents
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_allauth_contrib_package_imports_allauth_only_when_asked(tmp_path):
    """Importing `invites.contrib.allauth` (as settings name it) loads no allauth module."""
    code = (
        "import sys, invites.contrib.allauth; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'allauth'))"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter)
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(PACKAGE.parent), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == "[]"
