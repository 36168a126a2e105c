"""The static checks: ruff (lint) and mypy (types), as configured in pyproject.toml.

They run as tests so that the README's test command, and so CI's `.ci/run`, fails on a
lint finding or a type error as it fails on any other broken test. Each tool runs in a
subprocess from the repository root, from scratch (CI starts from a clean clone, so no
cache is used or left behind); a failure shows the tool's own report.

To run them alone while working: `python -m ruff check faechain tests bench fuzz` and
`python -m mypy` (both read pyproject.toml; `ruff check --fix` applies the safe fixes).
"""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINTED = ["faechain", "tests", "bench", "fuzz"]  # mypy's own list is `files` in pyproject.toml


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed: pip install -e '.[test]'")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)


def test_ruff_finds_nothing() -> None:
    done = run_tool("ruff", "check", "--no-cache", *LINTED)
    assert done.returncode == 0, f"ruff check {' '.join(LINTED)}:\n{done.stdout}{done.stderr}"


def test_mypy_finds_nothing(tmp_path: pathlib.Path) -> None:
    done = run_tool("mypy", "--cache-dir", str(tmp_path / "mypy_cache"))
    assert done.returncode == 0, f"mypy:\n{done.stdout}{done.stderr}"
