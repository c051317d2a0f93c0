"""Style that ruff does not check: no function longer than 60 lines (ruff, run by `make test`,
checks lint and format)."""

import ast

from tests.conftest import REPO

LONGEST = 60


def test_no_function_is_longer_than_60_lines():
    files = [*(REPO / "src").rglob("*.py"), *(REPO / "scripts").glob("*.py"), *(REPO / "tools").rglob("*.py")]
    long = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > LONGEST:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({length} lines)")
    assert len(files) > 50 and long == []
