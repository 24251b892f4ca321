"""Behaving well in other environments: HIPS autograd detected, versions, typing marker, sdist."""

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import autograd
import nn

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(path)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=path
    )


def test_hips_autograd_files_beside_ours_are_a_clear_error(tmp_path):
    shutil.copytree(ROOT / "autograd", tmp_path / "autograd")
    (tmp_path / "autograd" / "tracer.py").write_text("# HIPS autograd's tracer\n")
    result = run_python("import autograd", tmp_path)
    assert result.returncode != 0
    assert "two packages named 'autograd'" in result.stderr
    assert "HIPS" in result.stderr and "pip uninstall autograd chainrule" in result.stderr


def test_nn_over_hips_autograd_is_a_clear_error(tmp_path):
    (tmp_path / "autograd").mkdir()
    (tmp_path / "autograd" / "__init__.py").write_text("def grad(fun):\n    return fun\n")
    shutil.copytree(ROOT / "nn", tmp_path / "nn")
    result = run_python("import nn", tmp_path)
    assert result.returncode != 0
    assert "is not chainrule's (HIPS autograd has the same name)" in result.stderr


def test_versions_match_the_distribution():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" in project["dynamic"]
    assert autograd.__version__ == nn.__version__
    assert autograd.__version__.count(".") == 2


def test_packaging_metadata():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # the SPDX form
    assert project["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert any(c.startswith("Programming Language :: Python :: 3") for c in project["classifiers"])
    assert project["description"]
    assert (ROOT / "autograd" / "py.typed").exists() and (ROOT / "nn" / "py.typed").exists()


def test_the_sdist_holds_the_tests_and_they_run(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT,
    )
    if build.returncode != 0 and "No module named build" in build.stderr:
        pytest.skip("the 'build' package is not installed (it is in the test extra)")
    assert build.returncode == 0, build.stderr[-2000:]
    (sdist,) = tmp_path.glob("chainrule-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path, filter="data")
    top = tmp_path / sdist.name.removesuffix(".tar.gz")
    for needed in ("LICENSE", "tests/conftest.py", "autograd/py.typed", "nn/py.typed",
                   "autograd/explorer/explore.js"):
        assert f"{top.name}/{needed}" in names, needed
    # A few fast test files, run from the unpacked sdist against its own sources.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_value.py", "tests/test_hooks.py", "tests/test_nn_module.py"],
        capture_output=True, text=True, cwd=top, env={**os.environ, "PYTHONPATH": str(top)},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout
