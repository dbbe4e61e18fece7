"""The layout holds: one store per unit of work, no import circles, modules one can read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reminders"
# Only these open the state store: each opens it once per command, tick or request.
OPENERS = ("reminders.cli.", "reminders.daemon", "reminders.web.")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path, known: dict[str, Path], top_level: bool) -> set[str]:
    """The package's modules that ``path`` imports (at module level only, if asked)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module in known:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= (submodules & known.keys()) or {node.module}
    return found


def test_only_the_command_line_daemon_and_web_open_the_store() -> None:
    known = modules()
    callers = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "open_state"
        ]
        if calls and not (name + ".").startswith(OPENERS) and name != "reminders.daemon":
            callers.append(f"{name}:{calls[0].lineno}")
    assert callers == []


def test_the_package_has_no_import_circle() -> None:
    known = modules()
    graph = {name: imports(path, known, top_level=True) - {name} for name, path in known.items()}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            pytest.fail("import circle: " + " -> ".join((*trail[trail.index(name) :], name)))
        if name in done:
            return
        for other in sorted(graph[name]):
            visit(other, (*trail, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_subpackages_show_the_layers() -> None:
    subpackages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert {"inputs", "publish", "mail", "store", "web", "i18n", "cli"} <= subpackages
    assert not (PACKAGE / "utils.py").exists()


@pytest.mark.parametrize("name", sorted(modules()))
def test_each_module_opens_with_a_docstring_and_stays_readable(name: str) -> None:
    path = modules()[name]
    text = path.read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(text)), f"{name} has no docstring saying what it owns"
    # About 300 lines at most, a module one can read in one sitting, unless it says why not.
    limit = 400 if "longer than most" in text[:1000] else 330
    assert len(text.splitlines()) <= limit, f"{name} has {len(text.splitlines())} lines"
