"""Each layer of ``workflows/`` imports only what its docstring allows, and nothing in it imports Flask, RQ or Redis."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "workflows"
# layer -> the workflows layers it may import (besides itself and workflows.caches)
ALLOWED = {
    "domain": set(),
    "documents": {"domain"},
    "engine": {"domain"},
    "persistence": {"domain", "engine"},
    "projections": {"domain", "engine", "persistence"},
    "queries": {"domain", "engine", "persistence", "documents"},
    "services": {"domain", "engine", "persistence", "projections", "queries", "documents"},
}
FORBIDDEN = ("flask", "rq", "redis", "werkzeug")


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_what_it_may(layer: str):
    wrong = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in imports(path):
            parts = name.split(".")
            if parts[0] in FORBIDDEN:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            if parts[0] == "workflows" and len(parts) > 1 and parts[1] not in {layer, "caches", *ALLOWED[layer]}:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong
