"""What confidentiality costs a reader: a block of 1,000 transactions and its event stream,
filtered by the reader's view (docs/confidentiality.md) against today's unfiltered read, in one run.

    python bench/confidentiality.py [--txs 1000] [--repeat 5]

Two blocks of `--txs` transactions each are committed in process (a demo chain, durable store):

  invoices    `receivables.register_invoice` by supplier1, supplier2 and supplier3 in turn, each
              on core or core2: a transaction's subject is its invoice (seller, buyer);
  transfers   `receivables.transfer` of as many accepted root vouchers (supplier1's, to supplier2):
              a transaction's subject is the piece transferred, whose rule walks the pieces split
              from it (its title runs through it).

For each block it times, best of `--repeat`:

  unfiltered   GET /v1/blocks/{h}'s document for a reader who sees all (the regulator: no rule
               is asked, today's cost) and the block's event-stream payload as built for everyone;
  filtered     the same for supplier1 (party to a third of the invoices / every transfer) and for
               investor4 (party to none: every transaction withheld), and the event payload
               filtered for each (`faechain.api.confidential.filter_block_events`); and a further
               stream of investor4's, which the event hub answers from its per-reader memo.

The figures go to BENCHMARKS.md (the lead writes it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.demo_chain import DemoChain
from faechain.api.confidential import SeenCache, filter_block_events
from faechain.api.events import block_payload
from faechain.api.server import Api
from faechain.chain.results import Receipt
from faechain.core.block import Header
from faechain.core.encoding import decode

DAY = 86_400
DOC = hashlib.sha256(b"bench").hexdigest()
SELLERS = ("supplier1", "supplier2", "supplier3")


class Chain(DemoChain):
    def sign(self, who: str, method: str, **args: Any) -> bytes:
        return self.sign_call(who, "receivables", method, **args)

    def block(self, txs: list[bytes]) -> list[Receipt]:
        return self.commit(txs, check=False).receipts


def build(c: Chain, n: int) -> tuple[int, int]:
    """The two measured blocks' heights: `n` invoices, then `n` transfers."""
    now = c.clock // 1000
    c.block([c.sign("bank", "grant_credit", core=c.org["core"], amount=10**15, expires=now + 400 * DAY)])
    c.block([c.sign(SELLERS[i % 3], "register_invoice", code="011002600111", number=f"{i:08d}",
             seller=c.org[SELLERS[i % 3]], buyer=c.org["core" if i % 2 else "core2"],
             amount=1_000_000, date=now - DAY, doc_hash=DOC) for i in range(n)])
    invoices_height = c.app.height
    c.block([c.sign("supplier1", "register_invoice", code="011002600222", number=f"{i:08d}",
                    seller=c.org["supplier1"], buyer=c.org["core"], amount=1_000_000, date=now - DAY, doc_hash=DOC)
             for i in range(n)])
    issued = c.block([c.sign("core", "issue", to=c.org["supplier1"], amount=1_000_000, maturity=now + 90 * DAY,
                             invoices=[[f"011002600222-{i:08d}", 1_000_000]], contract_hash=DOC) for i in range(n)])
    vids = [r.result["voucher"] for r in issued]
    c.block([c.sign("supplier1", "accept", id=v) for v in vids])
    c.block([c.sign("supplier1", "transfer", id=v, to=c.org["supplier2"], amount=400_000) for v in vids])
    return invoices_height, c.app.height


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out, times = None, []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def measure(c: Chain, height: int, repeat: int) -> list[tuple[str, float, str]]:
    node = SimpleNamespace(store=c.store, app=c.app)
    api = SimpleNamespace(node=node)
    row = c.store.block(height)
    assert row is not None
    header = Header.decode(row[1])
    receipts = [Receipt.from_map(decode(rec)) for _, _, _, rec in c.store.block_txs(height)]
    payload = block_payload(height, row[0], header, receipts)
    out = []
    regulator = c.caller("regulator")
    t, doc = best(lambda: Api.block_doc(api, height, caller=regulator), repeat)  # type: ignore[arg-type]
    out.append(("block, unfiltered (regulator)", t, f"{sum(1 for x in doc['txs'] if not x.get('withheld'))} shown"))
    t, _ = best(lambda: block_payload(height, row[0], header, receipts), repeat)
    out.append(("events, unfiltered (payload)", t, f"{len(payload.contract_events)} events"))
    for who in ("supplier1", "investor4"):
        caller = c.caller(who)
        t, doc = best(lambda r=caller: Api.block_doc(api, height, caller=r), repeat)  # type: ignore[arg-type,misc]
        out.append((f"block, filtered ({who})", t, f"{sum(1 for x in doc['txs'] if not x.get('withheld'))} shown"))
        t, (_, events) = best(lambda r=caller: filter_block_events(node, r, height, payload.block,
                                                                   payload.contract_events), repeat)
        out.append((f"events, filtered ({who})", t, f"{len(events)} events shown"))
    # the event hub filters a block once per reader, however many streams it has open (SeenCache)
    cache = SeenCache()
    caller = c.caller("investor4")
    filter_block_events(node, caller, height, payload.block, payload.contract_events, cache)  # the first stream
    t, _ = best(lambda: filter_block_events(node, caller, height, payload.block, payload.contract_events, cache),
                repeat)
    out.append(("events, a 2nd stream (investor4)", t, "the hub's cached view"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--txs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="fae-bench-conf-")
    try:
        c = Chain(home)
        invoices, transfers = build(c, args.txs)
        print(f"# confidentiality cost: blocks of {args.txs} transactions, best of {args.repeat} "
              f"({platform.python_implementation()} {platform.python_version()}, {platform.machine()})")
        for name, height in (("invoices", invoices), ("transfers", transfers)):
            print(f"\n{name} block (height {height}):")
            rows = measure(c, height, args.repeat)
            base = {"block": rows[0][1], "events": rows[1][1]}
            for label, seconds, what in rows:
                ratio = seconds / base[label.split(",")[0]]
                print(f"  {label:<34} {seconds * 1000:9.1f} ms  x{ratio:6.1f}   {what}")
        c.store.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
