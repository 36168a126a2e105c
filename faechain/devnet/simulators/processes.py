"""The three simulators as `fae demo` runs them: child processes beside the demo node.

    sims = Simulators.start(home, node_url, node_port)   # `python -m faechain simulator <service> ...`
    failed = sims.wait_ready(30)                          # {service: why} for those not serving
    sims.stop()                                           # SIGTERM, then kill after a timeout

Each listens next to the node (its port + 1, + 2, + 3 when free, else any free port), keeps its
SQLite file and attestor state under <home>/simulators/ (so a restarted demo continues them)
and writes its log to <home>/simulators/<service>.log. Each ends itself when the demo's
process ends, however it ends (base.watch_parent).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from faechain.devnet.simulators.base import PARENT_ENV

SERVICES = ("tax", "registry", "rail")
TITLES = {"tax": "e-invoice service (the tax authority's 数电票 system)",
          "registry": "movable-property registry (中登网)",
          "rail": "e-CNY payment rail"}
STOP_SECONDS = 10.0  # after SIGTERM, before SIGKILL


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def any_free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def ports_beside(node_port: int) -> list[int]:
    """The node's port + 1, + 2, + 3 where free (and valid), any free port otherwise."""
    out = []
    for i in range(1, len(SERVICES) + 1):
        port = node_port + i
        out.append(port if port < 65536 and port_free(port) else any_free_port())
    return out


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as resp:
            return resp.status == 200 and bool(json.loads(resp.read()).get("ok"))
    except (OSError, ValueError):
        return False


@dataclass
class Simulator:
    service: str
    url: str
    log: str
    proc: subprocess.Popen

    @property
    def title(self) -> str:
        return TITLES[self.service]


class Simulators:
    def __init__(self, started: list[Simulator]) -> None:
        self.started = started

    @classmethod
    def start(cls, home: str, node_url: str, node_port: int, poll: float = 1.0) -> Simulators:
        folder = os.path.join(home, "simulators")
        os.makedirs(folder, exist_ok=True)
        started = []
        for service, port in zip(SERVICES, ports_beside(node_port), strict=True):
            log = os.path.join(folder, f"{service}.log")
            with open(log, "a") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "faechain", "simulator", service, "--home", home, "--port", str(port),
                     "--node", node_url, "--poll", str(poll)],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1", PARENT_ENV: str(os.getpid())})
            started.append(Simulator(service, f"http://127.0.0.1:{port}", log, proc))
        return cls(started)

    @property
    def urls(self) -> dict[str, str]:
        return {s.service: s.url for s in self.started}

    def wait_ready(self, seconds: float) -> dict[str, str]:
        """Wait until each serves its /health; {service: why not} for those that do not in time."""
        end = time.monotonic() + seconds
        waiting = {s.service: s for s in self.started}
        failed: dict[str, str] = {}
        while waiting:
            for name, sim in list(waiting.items()):
                code = sim.proc.poll()
                if code is not None:
                    failed[name] = f"exited with status {code} (see {sim.log})"
                    del waiting[name]
                elif healthy(sim.url):
                    del waiting[name]
            if waiting and time.monotonic() > end:
                failed.update({n: f"not serving {s.url} after {seconds:g} s (see {s.log})"
                               for n, s in waiting.items()})
                break
            if waiting:
                time.sleep(0.2)
        return failed

    def stop(self) -> None:
        """SIGTERM to each, then wait; SIGKILL to any still running after STOP_SECONDS."""
        for sim in self.started:
            if sim.proc.poll() is None:
                sim.proc.terminate()
        end = time.monotonic() + STOP_SECONDS
        for sim in self.started:
            try:
                sim.proc.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                sim.proc.kill()
                sim.proc.wait(5)
