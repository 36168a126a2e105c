"""Helpers for the CLI tests that run `fae` as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

CMD_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fae(*argv: str, home: str | None = None, timeout: float = CMD_TIMEOUT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("FAE_DEBUG", None)
    if home is not None:
        env["FAE_HOME"] = home
    return subprocess.run([sys.executable, "-m", "faechain", *argv], capture_output=True, text=True,
                          timeout=timeout, env=env)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"fae demo exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"fae demo did not serve {url}/healthz within {timeout}s")
