"""A bounded coverage-guided run: every fuzz target under atheris for a few seconds.

`python -m fuzz.run` runs each target in its own process (two at a time) from a fresh
corpus of its seeds, with libFuzzer's hang (-timeout) and memory (-rss_limit_mb) limits;
any finding is written to the temporary crashes folder and fails the target's test here
(with the end of libFuzzer's output). FAE_FUZZ_SECONDS sets the time per target (2 by
default); `python -m fuzz.run --seconds 600` is the long run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fuzz import targets

pytest.importorskip("atheris")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = int(os.environ.get("FAE_FUZZ_SECONDS", "2"))


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("atheris")
    out = work / "summary.json"
    cmd = [sys.executable, "-m", "fuzz.run", "--seconds", str(SECONDS), "--jobs", "2", "--timeout", "5",
           "--corpus", str(work / "corpus"), "--crashes", str(work / "crashes"), "--json", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60 + 12 * SECONDS * 9)
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(out) as f:
        return {r["target"]: r for r in json.load(f)}


@pytest.mark.parametrize("name", sorted(targets.TARGETS))
def test_no_finding(summary, name):
    r = summary[name]
    assert r["exit"] == 0 and not r["findings"], f"{name}: {r['findings']}\n{r.get('log_tail', '')}"
    assert r["executions"] > 0 and r["cov"], r
