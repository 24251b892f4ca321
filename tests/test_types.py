"""`mypy autograd nn` (mypy's default strictness, pyproject's [tool.mypy]) reports no errors."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_errors():
    pytest.importorskip("mypy", reason="mypy is in the test extra")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "autograd", "nn"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Success: no issues found" in result.stdout
