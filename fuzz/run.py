"""Coverage-guided fuzzing of faechain's decoders with atheris (libFuzzer for Python).

    python -m fuzz.run --seconds 600                 every target, 600 s each, two at a time
    python -m fuzz.run --target cbor --seconds 60    one target
    python -m fuzz.run --runs 2000                   a fixed number of inputs per target
    fuzz/run.sh 600                                  the same as the first line

Each target (fuzz/targets.py) runs in its own process: faechain's modules are imported
with atheris's coverage instrumentation, libFuzzer mutates a corpus that starts from the
target's seeds (kept in fuzz/corpus/<target>/, which grows as coverage does, and is not
committed), and an input that raises anything but the decoder's documented errors,
breaks a property, runs longer than --timeout seconds or takes more than --rss-limit MB
is written to fuzz/crashes/<target>-crash-<sha1> (or -timeout-, -oom-). Replay one with
`python -m fuzz.run --target T --replay FILE`. Once fixed, move it to
fuzz/regressions/<target>/ with a telling name: tests/fuzz replays every file there.

The summary gives, per target, the inputs executed, executions per second, libFuzzer's
coverage counters (cov: instrumented edges reached; ft: features) and the corpus size;
`--json FILE` writes it as JSON too. The exit status is 1 if any target found something.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")
CRASHES = os.path.join(HERE, "crashes")
REGRESSIONS = os.path.join(HERE, "regressions")
# modules whose Python code the fuzzer is guided by (imported instrumented by the worker)
INSTRUMENTED = (
    "faechain.core.encoding", "faechain.core.tx", "faechain.crypto.der", "faechain.crypto.sm2",
    "faechain.crypto.sm2_certs", "faechain.crypto.certs", "faechain.crypto.suite",
    "faechain.engines.cometbft.proto", "faechain.core.wire", "faechain.api.errors", "faechain.api.auth",
    "faechain.api.server", "faechain.api.audit", "faechain.api.vault",
)
MAX_LEN = {"envelope": 65_600, "cbor": 16_384, "certificate": 16_384, "certificate_pem": 24_576}


def _worker(args: argparse.Namespace) -> None:
    """Run one target under atheris (never returns: libFuzzer exits the process)."""
    import atheris

    sys.path.insert(0, ROOT)
    with atheris.instrument_imports(include=["faechain"]):
        import importlib

        for name in INSTRUMENTED:
            importlib.import_module(name)
    from fuzz import targets

    target = targets.TARGETS[args.worker]
    corpus = os.path.join(args.corpus, args.worker)
    os.makedirs(corpus, exist_ok=True)
    for i, seed in enumerate(targets.seeds(args.worker)):
        path = os.path.join(corpus, f"seed-{i:03d}")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(seed)
    os.makedirs(args.crashes, exist_ok=True)
    flags = [sys.argv[0], corpus, f"-artifact_prefix={os.path.join(args.crashes, args.worker)}-",
             f"-timeout={args.timeout}", f"-rss_limit_mb={args.rss_limit}", "-print_final_stats=1",
             f"-max_len={MAX_LEN.get(args.worker, 8192)}", f"-seed={args.seed}"]
    if args.seconds:
        flags.append(f"-max_total_time={args.seconds}")
    if args.runs:
        flags.append(f"-runs={args.runs}")
    if args.replay:
        flags = [sys.argv[0], f"-timeout={args.timeout}", f"-rss_limit_mb={args.rss_limit}", *args.replay]

    def test_one_input(data: bytes) -> None:
        target(data)

    atheris.Setup(flags, test_one_input)
    atheris.Fuzz()


_STAT = re.compile(r"stat::(\w+):\s*(\d+)")
_DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)")
_PROGRESS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)")


def _summary(name: str, rc: int, output: str, seconds: float, found: list[str]) -> dict:
    stats = {k: int(v) for k, v in _STAT.findall(output)}
    m = _DONE.search(output) or (list(_PROGRESS.finditer(output)) or [None])[-1]
    out = {"target": name, "exit": rc, "seconds": round(seconds, 1),
           "executions": stats.get("number_of_executed_units", int(m.group(1)) if m else 0),
           "exec_per_sec": stats.get("average_exec_per_sec", 0),
           "cov": int(m.group(2)) if m else None, "ft": int(m.group(3)) if m else None,
           "corpus": int(m.group(4)) if m else None, "peak_rss_mb": stats.get("peak_rss_mb"),
           "findings": found}
    return out


def run_target(name: str, args: argparse.Namespace) -> dict:
    """Fuzz one target in a subprocess; its summary."""
    before = set(os.listdir(args.crashes)) if os.path.isdir(args.crashes) else set()
    cmd = [sys.executable, "-m", "fuzz.run", "--worker", name, "--corpus", args.corpus, "--crashes", args.crashes,
           "--timeout", str(args.timeout), "--rss-limit", str(args.rss_limit), "--seed", str(args.seed)]
    if args.seconds:
        cmd += ["--seconds", str(args.seconds)]
    if args.runs:
        cmd += ["--runs", str(args.runs)]
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, errors="replace",
                          timeout=(args.seconds or 0) + 120 + (args.runs or 0) / 50)
    output = proc.stdout + proc.stderr
    after = set(os.listdir(args.crashes)) if os.path.isdir(args.crashes) else set()
    found = sorted(f for f in after - before if f.startswith(name + "-"))
    summary = _summary(name, proc.returncode, output, time.monotonic() - started, found)
    if proc.returncode != 0 or found:
        summary["log_tail"] = output[-4000:]
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--target", action="append", help="a target name (repeatable; default: all)")
    p.add_argument("--seconds", type=int, default=0, help="time per target (libFuzzer -max_total_time)")
    p.add_argument("--runs", type=int, default=0, help="inputs per target (libFuzzer -runs)")
    p.add_argument("--jobs", type=int, default=2, help="targets fuzzed at once")
    p.add_argument("--timeout", type=int, default=10, help="seconds one input may take (a hang beyond)")
    p.add_argument("--rss-limit", type=int, default=2048, help="MB of memory (an out-of-memory beyond)")
    p.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed")
    p.add_argument("--corpus", default=CORPUS)
    p.add_argument("--crashes", default=CRASHES)
    p.add_argument("--json", help="write the summary as JSON to this file")
    p.add_argument("--replay", nargs="+", help="run these inputs once through --target (no fuzzing)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args)
        return 0  # not reached
    from fuzz.targets import TARGETS

    names = args.target or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        p.error(f"unknown target(s) {unknown}; choose from {list(TARGETS)}")
    if args.replay:
        if len(names) != 1:
            p.error("--replay needs exactly one --target")
        cmd = [sys.executable, "-m", "fuzz.run", "--worker", names[0], "--replay", *args.replay]
        return subprocess.call(cmd, cwd=ROOT)
    if not args.seconds and not args.runs:
        args.seconds = 60
    os.makedirs(args.crashes, exist_ok=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(lambda n: run_target(n, args), names))
    print(f"{'target':<16} {'exit':>4} {'seconds':>8} {'inputs':>10} {'exec/s':>8} {'cov':>6} {'ft':>7} "
          f"{'corpus':>7}  findings")
    for r in results:
        print(f"{r['target']:<16} {r['exit']:>4} {r['seconds']:>8} {r['executions']:>10} {r['exec_per_sec']:>8} "
              f"{r['cov'] if r['cov'] is not None else '-':>6} {r['ft'] if r['ft'] is not None else '-':>7} "
              f"{r['corpus'] if r['corpus'] is not None else '-':>7}  {' '.join(r['findings']) or '-'}")
        if "log_tail" in r:
            print(f"--- {r['target']}: the end of its output ---\n{r['log_tail']}\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 1 if any(r["exit"] != 0 or r["findings"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
