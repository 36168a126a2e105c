"""`Driver(c, contract)`: run one contract's transactions on a `DemoChain`, one block each.

    d.tx(who, method, **args)        the receipt, whatever it says
    d.ok(who, method, **args)        assert it succeeded; its result
    d.rejected(who, method, code, **args)
                                     the tx fails with `code`, a message and no events, and
                                     the block's app hash equals an empty block's (state untouched)
                                     — or, for an attempt the risk rules flag, only the
                                     supervision contract's alert about that very transaction
                                     was written
    d.warm()                         every member's first transaction, so that later rejections
                                     can be compared with an empty block (see below)
    d.get(key) / d.scan(prefix)      committed state of the contract, read straight from the store
"""

from __future__ import annotations

from typing import Any

from faechain.core.encoding import decode


class Driver:
    contract = ""

    def __init__(self, c, contract: str | None = None):
        self.c = c
        self.o = c.org_ids
        if contract is not None:
            self.contract = contract

    def tx(self, who: str, method: str, /, **args: Any):
        return self.c.run(who, self.contract, method, args)

    def ok(self, who: str, method: str, /, **args: Any) -> Any:
        r = self.tx(who, method, **args)
        assert r.ok, (who, method, r.code, r.message)
        return r.result

    def rejected(self, who: str, method: str, code: str, /, **args: Any):
        """`method` fails with `code` and leaves the state exactly as it was."""
        raw = self.c.sign(who, self.contract, method, args)
        unchanged = self.c.empty_block_app_hash()
        res = self.c.block([raw])
        rec = res.receipts[0]
        assert rec.code == code, (method, args, rec.code, rec.message)
        assert rec.message, "a rejection needs a human message"
        assert rec.result is None and rec.events == []
        assert res.app_hash == unchanged or only_an_alert_was_written(self.c, res, rec), \
            f"rejected {method} changed the state"
        return rec

    def warm(self) -> None:
        """Every member's first transaction, rejected: it changes nothing, not even by registering
        the signer's certificate (that waits for its first successful transaction), so that any
        later rejection, first of its signer or not, can be checked against an empty block."""
        unchanged = self.c.empty_block_app_hash()
        res = self.c.block([self.c.sign(name, "receivables", "accept", {"id": f"warm-{name}"}) for name in self.o])
        assert {x.code for x in res.receipts} == {"not_found"}
        assert res.app_hash == unchanged

    def q(self, method: str, as_: str | None = None, **args: Any) -> Any:
        return self.c.q(method, as_=as_, contract=self.contract, **args)

    def get(self, key: str) -> Any:
        raw = self.c.store.get_value(f"{self.contract}/{key}".encode())
        return None if raw is None else decode(raw)

    def scan(self, prefix: str) -> dict[str, Any]:
        cut = len(self.contract) + 1
        rows = self.c.store.scan_prefix(f"{self.contract}/{prefix}".encode(), None, 10**9)
        return {k.decode()[cut:]: decode(v) for k, v in rows}


def only_an_alert_was_written(c, res, rec) -> bool:
    """The one thing a rejection may leave: the regulator's alert about the attempt itself (e.g.
    an attempt to reuse an invoice), written by supervision at the end of the block."""
    written = dict(c.store.read.execute("SELECT key, value FROM kv WHERE height = ?", (res.height,)).fetchall())
    alerts = [e for e in res.end_events if e["contract"] == "supervision" and e["type"] == "Alert"
              and e["attrs"]["evidence"].get("tx") == rec.tx_hash.hex()]
    # outside supervision, exactly what an empty block at that height writes (end-of-block
    # work such as clearing), value for value (`empty_block_app_hash` recorded it)
    empty = getattr(c, "empty_block_writes", {})
    others = {k: v for k, v in written.items() if not k.startswith(b"supervision/")}
    return bool(alerts) and others == {k: v for k, v in empty.items() if not k.startswith(b"supervision/")}
