"""scripts/test.sh sets up Chromium and its driver from apt, or prints the command to run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASH = shutil.which("bash") or "/bin/bash"


def path_without(tmp_path: Path, leave_out: re.Pattern[str]) -> str:
    """A PATH directory linking every command on this PATH except those matching leave_out."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = bin_dir / entry.name
            if leave_out.fullmatch(entry.name) or os.path.lexists(target) or entry.is_dir():
                continue
            if os.access(entry.path, os.X_OK):
                target.symlink_to(entry.path)
    return str(bin_dir)


def run(args: list[str], path: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINRULE_") and k != "CI"}
    env["CHAINRULE_NO_AUTO_INSTALL"] = "1"  # behave as for a user who is not root
    if path is not None:
        env["PATH"] = path
    return subprocess.run(args, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize(
    "how", [[], ["--with-browser"], ["CI=true"]], ids=["default", "option", "ci"]
)
def test_a_missing_browser_stops_with_the_install_command(tmp_path, how):
    sandbox = tmp_path / "repo"
    shutil.copytree(ROOT / "scripts", sandbox / "scripts")
    shutil.copy2(ROOT / "pyproject.toml", sandbox / "pyproject.toml")
    path = path_without(tmp_path, re.compile(r"chromium.*|chromedriver"))
    test_sh = [BASH, str(sandbox / "scripts" / "test.sh")]
    command = ["env", *how, *test_sh] if how and how[0].startswith("CI=") else [*test_sh, *how]
    result = run(command, path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "run\n       `sudo apt-get install chromium chromium-driver`" in result.stderr
    assert not (sandbox / ".venv").exists()  # it stopped before setting anything up
    assert "==> Tests" not in result.stdout


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                    reason="needs chromium and chromedriver on PATH")
def test_the_browser_check_passes_when_both_are_there():
    setup = str(ROOT / "scripts" / "setup.sh")
    result = run([BASH, "-c", 'set -euo pipefail; source "$1"; cr_ensure_browser', "bash", setup])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("==> Browser: ") and "chromedriver" in result.stdout
