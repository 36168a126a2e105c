"""Opening a node's ledger after checking it, and halting a node whose storage lies.

The checks themselves are `faechain.ledger.integrity`'s (they know only the store);
this module wires them to the state machine: `open_ledger` checks the ledger before the
`Application` is built over it, and `halt` stops a serving node's engine when a read
finds damage (docs/integrity.md).
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from faechain.chain.application import Application
from faechain.chain.engine import Engine
from faechain.core.genesis import Genesis
from faechain.ledger.integrity import (
    DEFAULT_SAMPLES,
    HeadMark,
    StorageDamaged,
    ValueChecker,
    check_file,
    check_startup,
    file_damage,
    is_corruption,
    recovery_advice,
)
from faechain.ledger.served import BlockChecker
from faechain.ledger.storage import Store

log = logging.getLogger("faechain.integrity")


# -- opening a ledger ------------------------------------------------------------------------------------------
def open_ledger(db_path: str, genesis: Genesis, *, synchronous: str = "FULL", engine: str | None = "solo",
                home: str | None = None, samples: int = DEFAULT_SAMPLES) -> tuple[Store, Application]:
    """(Store, Application) over `db_path`, after the startup check; StorageDamaged (with
    the recovery advice for `engine`) when the ledger is damaged. Installs the on-read
    value check and the head mark."""
    advice = recovery_advice(home, engine)
    store = None
    try:
        check_file(db_path)
        store = Store(db_path, synchronous=synchronous)
        mark = HeadMark(db_path)
        report = check_startup(store, genesis, mark=mark, engine=engine, samples=samples)
        app = Application(store, genesis)
    except StorageDamaged as exc:
        _close(store)
        raise exc.with_recovery(advice) from None
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        _close(store)
        if is_corruption(exc):
            raise file_damage(db_path, exc).with_recovery(advice) from None
        raise
    except BaseException:
        _close(store)
        raise
    store.recovery = advice
    store.check_value = ValueChecker(store, app.hash)
    store.check_rows = BlockChecker(store, app.hash, genesis.chain_id)
    mark.write(app.height, app.block_hash)
    app.listeners.append(mark.on_commit)
    log.info("ledger checked at start: height %d, %d values against their leaves, %.0f ms (quick_check %.0f ms)",
             report.height, report.values_checked, report.seconds * 1000, report.quick_check_seconds * 1000)
    return store, app


def _close(store: Store | None) -> None:
    if store is not None:
        try:
            store.close()
        except Exception:  # noqa: BLE001
            pass


_halt_lock = threading.Lock()


def halt(app: Application, engine: Engine, exc: StorageDamaged, home: str | None = None,
         engine_name: str | None = None) -> StorageDamaged:
    """Damage found while serving: stop accepting transactions and say how to recover
    (once per application); returns `exc` with the recovery advice for this node's home
    and engine (`solo` or `cometbft`)."""
    if exc.recovery is None:
        exc.with_recovery(recovery_advice(home, engine_name))
    with _halt_lock:
        first = app.damaged is None
        if first:
            app.damaged = exc  # Application.finalize_block refuses from now on
    if not first:
        return exc
    log.critical("%s This node no longer accepts transactions.", exc.message)
    engine.halt(exc)
    return exc
