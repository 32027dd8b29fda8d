"""The layout rules of DESIGN.md §4, enforced by walking the imports of every module.

- ``lingqu.stats`` is pure: it never imports the database, the web layer or a domain.
- adapters (endpoints.py, pages.py, cli.py) never import sqlalchemy: SQL lives in repository.py.
- ``lingqu.kit`` helpers never import the database or the web layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lingqu

SRC = Path(lingqu.__file__).parent
ADAPTERS = {"endpoints.py", "pages.py", "cli.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules():
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_stats_is_pure():
    bad = []
    for p in _modules():
        if "stats" in p.relative_to(SRC).parts[:1]:
            for m in _imports(p):
                if m.startswith(("sqlalchemy", "fastapi", "lingqu.db", "lingqu.web", "jinja2")) or (
                    m.startswith("lingqu.") and not m.startswith(("lingqu.stats", "lingqu.exceptions"))
                ):
                    bad.append(f"{p.relative_to(SRC)} imports {m}")
    assert not bad, bad


def test_adapters_do_not_touch_sql():
    bad = [
        f"{p.relative_to(SRC)} imports {m}"
        for p in _modules() if p.name in ADAPTERS
        for m in _imports(p) if m.startswith("sqlalchemy")
    ]
    assert not bad, bad


def test_kit_does_not_reach_into_db_or_web():
    bad = [
        f"{p.relative_to(SRC)} imports {m}"
        for p in _modules() if p.relative_to(SRC).parts[0] == "kit"
        for m in _imports(p) if m.startswith(("sqlalchemy", "lingqu.db", "lingqu.web", "fastapi"))
    ]
    assert not bad, bad


def test_no_utils_modules_and_no_module_past_800_lines():
    assert not [p for p in _modules() if p.name == "utils.py"]
    long = [f"{p.relative_to(SRC)}: {n}" for p in _modules() if (n := p.read_text(encoding="utf-8").count("\n")) > 800]
    assert not long, long


def test_rule_catches_a_forbidden_import(tmp_path):
    """The walker itself works: a module importing sqlalchemy is seen."""
    p = tmp_path / "endpoints.py"
    p.write_text("import sqlalchemy\nfrom lingqu.db.engine import unit_of_work\n")
    assert {"sqlalchemy", "lingqu.db.engine"} <= _imports(p)
