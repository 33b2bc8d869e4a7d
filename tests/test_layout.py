"""The layout's rules that `lint-imports` (the contract in pyproject.toml, run by `make lint`) does not state:
no import hidden behind TYPE_CHECKING, no function-level import of an mt module but for start-up speed (in the
command line and `mt/__init__.py`), and a registry that knows every backend a config may name."""

from __future__ import annotations

import ast
from pathlib import Path

from mt.config import BACKENDS
from mt.translate import TRANSLATORS

MT = Path(__file__).resolve().parent.parent / "mt"
# Modules that import mt modules inside functions so that `import mt` and `mt segment` stay light.
LAZY_FOR_START_UP = {"__init__.py", "cli.py"}


def mt_imports_inside(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import of an mt module that is not at the top of the module."""
    top = {id(node) for node in getattr(tree, "body", [])}
    found = []
    for node in ast.walk(tree):
        if id(node) in top:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mt":
            found.append((node.lineno, str(node.module)))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "mt"]
    return found


def test_no_import_is_hidden_behind_type_checking() -> None:
    hidden = [str(path.relative_to(MT)) for path in sorted(MT.rglob("*.py")) if "TYPE_CHECKING" in path.read_text()]
    assert hidden == []


def test_mt_modules_are_imported_at_the_top_but_where_start_up_needs_them_late() -> None:
    late = {str(path.relative_to(MT)): mt_imports_inside(ast.parse(path.read_text()))
            for path in sorted(MT.rglob("*.py")) if path.name not in LAZY_FOR_START_UP or path.parent != MT}
    assert {name: found for name, found in late.items() if found} == {}


def test_every_backend_a_config_may_name_has_a_translator() -> None:
    assert sorted(TRANSLATORS) == ["ct2", "hf"]
    assert set(BACKENDS) == {"auto", *TRANSLATORS}  # auto becomes one of them (resolve_backend)
