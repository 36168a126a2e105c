"""What the three simulators share: their SQLite file, their JSON answers, their process.

A simulator process (`fae simulator tax|registry|rail`) does two things, as a real service
member's installation would: it serves the simulated outside system over HTTP (with its
own SQLite file), and it runs the attestor (`faechain.adapters`) with the service member's
identity, the attestor reaching the simulated system through the same HTTP adapter a
bank's IT would write against its real one. Every answer carries `"simulator"` and every
log line says "simulator": nothing a simulator says can be taken for the real service.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from faechain.adapters.services import SERVICES, build_attestor, load_adapter
from faechain.core.errors import FaeError
from faechain.identity.wallet import Identity
from faechain.sdk import Client

log = logging.getLogger("faechain.simulators")


class SimulatorError(FaeError):
    """A request the simulated system refuses: HTTP `status`, a stable `code`, a sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code)
        self.status = status


def open_db(path: str, schema: str) -> sqlite3.Connection:
    """The simulator's SQLite file (created with `schema` on first use)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db


def rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    return [dict(r) for r in cursor.fetchall()]


# -- request checks ------------------------------------------------------------------------------
def need_text(body: dict[str, Any], name: str, limit: int = 64) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise SimulatorError(400, "bad_request", f"{name!r} must be text of 1 to {limit} characters")
    return value.strip()


def need_amount(body: dict[str, Any], name: str = "amount", *, allow_zero: bool = False) -> int:
    value = body.get(name)
    if type(value) is not int or value < (0 if allow_zero else 1):
        raise SimulatorError(400, "bad_request", f"{name!r} must be a whole number of fen"
                             + ("" if allow_zero else " above zero"))
    return value


def choice(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(name, default)
    if value not in allowed:
        raise SimulatorError(400, "bad_request", f"{name!r} must be one of {', '.join(allowed)}")
    return str(value)


# -- the HTTP side ------------------------------------------------------------------------------------
Route = tuple[str, str, Callable[..., Any]]  # (method, path, handler(request body or None, match) -> (status, doc))


def make_app(title: str, routes: list[Route]) -> web.Application:
    """An aiohttp app whose every answer is JSON naming `title` (e.g. "e-invoice service
    simulator") under "simulator", errors as {"code", "message"}."""

    def wrap(fn: Callable[..., Any]) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            try:
                body: dict[str, Any] = {}
                if request.method == "POST" and request.can_read_body:
                    try:
                        body = json.loads(await request.read() or b"{}")
                    except ValueError:
                        raise SimulatorError(400, "bad_request", "the body is not JSON") from None
                    if not isinstance(body, dict):
                        raise SimulatorError(400, "bad_request", "the body must be a JSON object")
                status, doc = fn(body, dict(request.match_info), dict(request.query))
            except SimulatorError as exc:
                status, doc = exc.status, {"code": exc.code, "message": exc.message}
            return web.json_response({"simulator": title, **doc}, status=status,
                                     headers={"X-Simulator": title})
        return handle

    app = web.Application()
    for method, path, fn in routes:
        app.router.add_route(method, path, wrap(fn))
    return app


# -- the process ---------------------------------------------------------------------------------------
@dataclass
class Options:
    service: str  # tax, registry, rail
    home: str
    port: int
    node_url: str
    identity: str
    host: str = "127.0.0.1"
    db: str | None = None
    state: str | None = None
    poll_seconds: float = 2.0

    def db_path(self) -> str:
        return self.db or os.path.join(self.home, "simulators", f"{self.service}.sqlite")

    def state_path(self) -> str:
        return self.state or os.path.join(self.home, "simulators", f"{self.service}-attestor.json")


PARENT_ENV = "FAE_SIMULATOR_PARENT"  # set by `fae demo`: the pid whose end ends this simulator too


def watch_parent(end: Callable[[], object], stop: threading.Event) -> None:
    """When started by `fae demo` (PARENT_ENV names its pid), end this process with it, however it
    ended (a kill -9 gives it no chance to stop its children): checked every second."""
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit():
        return

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != int(parent):
                log.info("simulator: fae demo (pid %s) has ended; stopping", parent)
                end()
                return
    threading.Thread(target=watch, name="fae-simulator-parent", daemon=True).start()


def serve(opts: Options, title: str, app: web.Application, ready: Callable[[str], None] | None = None) -> None:
    """Serve `app` on opts.host:opts.port and run the attestor beside it until SIGINT/SIGTERM."""
    identity = Identity.load(opts.home, opts.identity)
    url = f"http://{opts.host}:{opts.port}"
    svc = SERVICES[opts.service]
    adapter = load_adapter(svc.http_adapter, {"url": url})
    client = Client(opts.node_url, identity=identity)
    attestor = build_attestor(opts.service, adapter, client, identity, opts.state_path(), label=title,
                              poll_seconds=opts.poll_seconds)
    stop = threading.Event()

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, opts.host, opts.port)
        await site.start()
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        watch_parent(lambda: loop.call_soon_threadsafe(done.set), stop)
        worker = threading.Thread(target=attestor.run, args=(stop,), name="fae-attestor", daemon=True)
        worker.start()
        log.info("%s: serving %s (data %s); attesting as %s (%s) to %s", title, url, opts.db_path(),
                 identity.name, identity.org_name, opts.node_url)
        if ready:
            ready(url)
        await done.wait()
        log.info("%s: stopping", title)
        stop.set()
        await loop.run_in_executor(None, worker.join, 10.0)
        await runner.cleanup()

    asyncio.run(main())
