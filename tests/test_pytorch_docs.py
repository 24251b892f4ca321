"""docs/pytorch.md: every row of its table is run in chainrule and torch by a parity test."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def table_rows() -> list[str]:
    rows = []
    for line in (ROOT / "docs" / "pytorch.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first = line.split(" | ")[0].removeprefix("| ")
            rows.append(first.strip("`"))
    return rows


def rows_with_a_test() -> list[str]:
    # Read from the source, so this test runs (and fails) even where torch is missing.
    tree = ast.parse((ROOT / "tests" / "test_pytorch_parity.py").read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Name)
                    and decorator.func.id == "row"
                ):
                    names.append(ast.literal_eval(decorator.args[0]))
    return names


def test_every_row_has_a_parity_test_and_every_test_a_row():
    rows, tested = table_rows(), rows_with_a_test()
    assert len(rows) > 20
    assert sorted(set(rows)) == sorted(rows), "a row appears twice"
    assert set(rows) - set(tested) == set(), "rows without a test"
    assert set(tested) - set(rows) == set(), "tests naming no row"
