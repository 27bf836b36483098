"""The Makefile refuses an unusable Python early: before .venv exists, with one line that says what to do.

Each test runs make in a copy of the Makefile (with the files its rules name),
never in the checkout, so the real .venv is never touched. The "Python" is a
fake that reports a chosen version to the Makefile's own check and logs any
other use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import ROOT

MAKE = shutil.which("make")


def _python_min() -> str:
    match = re.search(r"^PYTHON_MIN\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert match, "the Makefile names no PYTHON_MIN"
    return match.group(1)


def test_the_minimum_is_the_one_the_readme_and_pyproject_give():
    minimum = _python_min()
    assert f"Python >= {minimum}" in (ROOT / "README.md").read_text(encoding="utf-8")
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={minimum}"


@pytest.fixture
def checkout(tmp_path) -> Path:
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _fake_python(where: Path, version: tuple[int, int, int]) -> Path:
    """A "python" that runs the Makefile's ``-c`` check as that version, and logs anything else."""
    fake = where / f"python{version[0]}.{version[1]}"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "if sys.argv[1:2] == ['-c']:\n"
        f"    sys.version_info = {(*version, 'final', 0)!r}\n"
        "    exec(sys.argv[2], {'__name__': '__main__'})\n"
        "else:\n"
        f"    open({str(where / 'calls.log')!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "    sys.exit(1)\n", encoding="utf-8")
    fake.chmod(0o755)
    return fake


def _make(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    assert MAKE, "make is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"}
    return subprocess.run([MAKE, "--no-print-directory", *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("goal", ["html", "test"])
def test_an_old_python_stops_before_the_venv_with_one_line(checkout, goal):
    fake = _fake_python(checkout, (3, 9, 18))
    run = _make(checkout, goal, f"PYTHON={fake}")
    assert run.returncode != 0
    lines = [line for line in (run.stdout + run.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    line = lines[0]
    for said in (f"{fake} is Python 3.9.18", f"needs Python {_python_min()} or newer",
                 f"make {goal} PYTHON=python3.12"):
        assert said in line, f"{said!r} not in {line!r}"
    assert not (checkout / ".venv").exists()
    assert not (checkout / "calls.log").exists(), "the old Python was used for more than the check"


def test_a_missing_python_says_so(checkout):
    run = _make(checkout, "html", f"PYTHON={checkout / 'no-such-python'}")
    assert run.returncode != 0
    assert "is not a Python that runs" in run.stderr and "PYTHON=python3.12" in run.stderr, run.stderr
    assert not (checkout / ".venv").exists()


def test_a_recent_python_goes_on_to_create_the_venv(checkout):
    fake = _fake_python(checkout, (3, 12, 1))
    run = _make(checkout, "html", f"PYTHON={fake}")
    assert "needs Python" not in run.stderr, run.stderr
    assert (checkout / "calls.log").read_text().splitlines()[0] == "-m venv .venv"


def test_clean_needs_no_python(checkout):
    run = _make(checkout, "clean", f"PYTHON={checkout / 'no-such-python'}")
    assert run.returncode == 0, run.stderr
