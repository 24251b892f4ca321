"""The quick-start scripts (scripts/*.sh, .ci/run), and the neuron demo (demos/neuron.py).

The set-up paths that need a missing system package are run for real in a throw-away copy of
scripts/ with CHAINRULE_NO_AUTO_INSTALL=1, which makes the scripts behave as for a user who is
not root: they must stop before creating anything and print the one command to run.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
SHELL_SCRIPTS = sorted((ROOT / "scripts").glob("*.sh")) + [CI_RUN]
BASH = shutil.which("bash") or "/bin/bash"


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- the scripts' text ----------------------------------------------------------------------


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=_rel)
def test_script_parses_as_bash(script: Path) -> None:
    result = subprocess.run([BASH, "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_entry_scripts_exist() -> None:
    for name in ("scripts/setup.sh", "scripts/test.sh", "scripts/demo.sh", ".ci/run"):
        assert (ROOT / name).is_file(), f"{name} is missing"


def _commands(lines: list[str]) -> list[str]:
    """Shell lines without comments, blanks and a leading "$ " prompt."""
    out = []
    for line in lines:
        line = line.strip()
        if line.startswith("$ "):
            line = line[2:].strip()
        if not line or line.startswith("#"):
            continue
        out.append(re.sub(r"\s+#.*$", "", line))
    return out


def _readme_quickstart() -> list[str] | None:
    """Commands of README.md's first fenced block that runs something in scripts/, if any."""
    text = README.read_text(encoding="utf-8") if README.is_file() else ""
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S):
        commands = _commands(block.splitlines())
        if any("scripts/" in command for command in commands):
            return commands
    return None


def _ci_commands() -> list[str]:
    """.ci/run's commands of substance: all but the shebang, `set` options and its `cd`."""
    lines = CI_RUN.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0] == "#!/usr/bin/env bash"
    return [
        command
        for command in _commands(lines[1:])
        if command != "set -euo pipefail" and not command.startswith("cd ")
    ]


def test_ci_run_runs_only_the_test_script() -> None:
    assert _ci_commands() == ["bash scripts/test.sh"]


def test_readme_quick_start_shows_both_commands() -> None:
    commands = _readme_quickstart()
    if commands is None:
        pytest.skip("README.md has no quick-start block yet (docs/quickstart.md has its text)")
    assert "bash scripts/demo.sh" in commands
    assert "bash scripts/test.sh" in commands


def test_ci_run_is_the_readme_test_command() -> None:
    commands = _readme_quickstart()
    if commands is None:
        pytest.skip("README.md has no quick-start block yet (docs/quickstart.md has its text)")
    (ci_command,) = _ci_commands()
    assert ci_command in commands, f"README quick start {commands} lacks {ci_command!r}"


# --- set-up paths, run for real in a copy --------------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A checkout-like folder holding only scripts/ and pyproject.toml (so no .venv)."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "scripts", repo / "scripts")
    shutil.copy2(ROOT / "pyproject.toml", repo / "pyproject.toml")
    return repo


def _bin_dir(tmp_path: Path, leave_out: re.Pattern[str]) -> Path:
    """A folder of links to every command on PATH except those whose name matches leave_out:
    a PATH that is this machine's own less those commands."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = bin_dir / entry.name
            if leave_out.fullmatch(entry.name) or os.path.lexists(target):
                continue
            if os.access(entry.path, os.X_OK) and not entry.is_dir():
                target.symlink_to(entry.path)
    return bin_dir


def _run(args: list[str], path: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINRULE_")}
    full_env["CHAINRULE_NO_AUTO_INSTALL"] = "1"
    if path is not None:
        full_env["PATH"] = str(path)
    full_env.update(env)
    return subprocess.run(
        args, capture_output=True, text=True, env=full_env, stdin=subprocess.DEVNULL, timeout=120
    )


def test_missing_dot_stops_with_the_install_command(sandbox: Path, tmp_path: Path) -> None:
    path = _bin_dir(tmp_path, re.compile(r"dot"))
    assert shutil.which("dot", path=str(path)) is None
    result = _run([BASH, str(sandbox / "scripts" / "test.sh")], path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Graphviz's dot is missing: run `sudo apt-get install graphviz`" in result.stderr
    assert "brew install graphviz" in result.stderr
    assert "conda install -c conda-forge graphviz" in result.stderr
    # It stopped at that step: nothing created, nothing installed, no tests started.
    assert not (sandbox / ".venv").exists()
    assert "==> Python: " in result.stdout
    assert "==> Packages" not in result.stdout and "==> Tests" not in result.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot on PATH")
def test_dot_check_passes_when_dot_is_on_path(sandbox: Path) -> None:
    # The same check as above with dot present, so the failure above is about dot alone.
    setup = str(sandbox / "scripts" / "setup.sh")
    result = _run([BASH, "-c", 'set -euo pipefail; source "$1"; cr_ensure_dot', "bash", setup])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("==> Graphviz: ")


def test_missing_venv_support_stops_with_the_install_command(sandbox: Path, tmp_path: Path) -> None:
    # Simulate Debian/Ubuntu without python3.X-venv: the interpreter cannot import ensurepip.
    shadow = tmp_path / "shadow" / "ensurepip"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("simulated: no ensurepip")\n')
    result = _run(
        [BASH, str(sandbox / "scripts" / "demo.sh")],
        CHAINRULE_PYTHON=sys.executable,
        PYTHONPATH=str(shadow.parent),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    if shutil.which("apt-get"):
        package = f"python{sys.version_info.major}.{sys.version_info.minor}-venv"
        assert f"Python's venv support is missing (no ensurepip in {sys.executable}):" in (
            result.stderr
        )
        assert f"run `sudo apt-get install {package}`" in result.stderr
    else:
        assert "cannot create virtual environments" in result.stderr
    assert not (sandbox / ".venv").exists()


def test_too_old_python_is_refused(sandbox: Path, tmp_path: Path) -> None:
    path = _bin_dir(tmp_path, re.compile(r"python.*"))
    fake = path / "python3"
    fake.write_text("#!/bin/sh\necho 3.8.10\n")
    fake.chmod(0o755)
    result = _run([BASH, str(sandbox / "scripts" / "test.sh")], path)
    assert result.returncode == 1
    assert "chainrule needs Python 3.10 or newer; found only: python3 3.8.10." in result.stderr
    assert not (sandbox / ".venv").exists()


def test_missing_python_names_the_package(sandbox: Path, tmp_path: Path) -> None:
    path = _bin_dir(tmp_path, re.compile(r"python.*"))
    result = _run([BASH, str(sandbox / "scripts" / "test.sh")], path)
    assert result.returncode == 1
    assert "python3 was not found on PATH" in result.stderr
    assert "sudo apt-get install python3 python3-venv" in result.stderr


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="runs scripts/test.sh for real, which is quick only inside the .venv it manages",
)
def test_test_sh_treats_no_tests_as_failure(tmp_path: Path) -> None:
    # From another directory, with a pytest argument naming an empty folder: the script must
    # find the checkout, pass the argument through, and turn pytest's exit 5 into a failure.
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run(
        [BASH, str(ROOT / "scripts" / "test.sh"), str(empty)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"==> Tests: python -m pytest {empty}" in result.stdout
    assert "no tests ran" in result.stdout
    assert "pytest collected no tests (exit 5); treating that as a failure." in result.stderr


# --- the neuron demo (the quick start ran it before demos/moons.py) ------------------------


def test_neuron_values_and_gradients() -> None:
    from demos.neuron import DEFAULTS, build

    o = build(**DEFAULTS)
    nodes = {node.label: node for node in o.graph()}
    assert set(nodes) == {"x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"}
    assert o.op == "tanh"
    assert math.isclose(o.data, math.sqrt(0.5), rel_tol=1e-12)
    # do/dn = 1 - o**2 = 0.5; each weight's gradient is its input times that, and vice versa.
    expected = {"o": 1.0, "n": 0.5, "b": 0.5, "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}
    for label, grad in expected.items():
        assert math.isclose(nodes[label].grad, grad, rel_tol=1e-12, abs_tol=1e-12), label


def test_neuron_prints_every_node(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from demos.neuron import main

    assert main(["--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [re.split(r"\s{2,}", line) for line in lines if re.search(r"-?\d+\.\d{4}$", line)]
    by_label = {row[0]: row[1:] for row in rows}
    assert len(rows) == 10
    assert by_label["o"] == ["tanh", "n", "0.7071", "1.0000"]
    assert by_label["x1"] == ["leaf", "2.0000", "-1.5000"]
    assert by_label["w2"] == ["leaf", "1.0000", "0.0000"]
    assert by_label["n"][0] == "+" and by_label["x1*w1"][0] == "*"


def test_neuron_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from demos.neuron import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--digits" in capsys.readouterr().out
    assert main(["--x1", "0", "--digits", "2", "--out", str(tmp_path)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["w1", "leaf", "-3.00", "0.00"] in rows  # dL/dw1 = x1 * do/dn = 0


def _run_test_sh(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    return subprocess.run(
        [BASH, str(ROOT / "scripts" / "test.sh"), *args, str(empty)],
        cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600,
    )


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="runs scripts/test.sh for real, which is quick only inside the .venv it manages",
)
def test_test_sh_runs_the_pytorch_comparisons_by_default(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="would download PyTorch; the default installs it")
    result = _run_test_sh(tmp_path)
    assert "==> PyTorch: 2.13.0" in result.stdout, result.stdout + result.stderr
    assert "==> Tests: python -m pytest " in result.stdout and " -rs " not in result.stdout


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="runs scripts/test.sh for real, which is quick only inside the .venv it manages",
)
def test_test_sh_without_torch_reports_the_skipped_tests(tmp_path: Path) -> None:
    result = _run_test_sh(tmp_path, "--without-torch")
    assert "PyTorch: not installed (--without-torch)" in result.stdout, result.stdout
    assert f"==> Tests: python -m pytest -rs {tmp_path / 'empty'}" in result.stdout


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
    reason="runs scripts/test.sh for real, which is quick only inside the .venv it manages",
)
def test_test_sh_without_browser_reports_the_skipped_tests(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="would download PyTorch; the default installs it")
    result = _run_test_sh(tmp_path, "--without-browser")
    assert "==> Browser: not set up (--without-browser)" in result.stdout, result.stdout
    assert f"==> Tests: python -m pytest -rs {tmp_path / 'empty'}" in result.stdout
