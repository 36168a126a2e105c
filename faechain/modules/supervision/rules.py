"""Risk rules: what in a block should reach the regulator as an alert.

Each rule looks at the block as `end_block` sees it (`ctx.block`: signed
transactions with their outcomes, and every event so far) and at committed
state, and returns the alerts it raises. Rules are plain deterministic
functions; their thresholds come from genesis or a governance vote (a value of
0 switches a rule off). `supervision` runs last among the contracts' end_block
hooks, so it sees the end-of-block events of all the others (OVERDUE and the like).

An alert is `(rule, subject, severity, evidence)`: the subject is an asset
reference (`voucher:V-…`, `product:R-…`, an organisation id for reuse attempts)
and the evidence the facts that made it fire, with the transaction hash where
there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from faechain.contracts.runtime import Ctx
from faechain.contracts.time import DAY

# rule -> (default threshold, what the threshold means)
DEFAULTS: dict[str, tuple[int, str]] = {
    "invoice_reuse": (1, "1 = alert on any attempt to draw on an exhausted, pooled or duplicate invoice"),
    "voucher_overdue": (1, "1 = alert when a voucher root falls overdue"),
    "disclosure_overdue": (1, "1 = alert when a plan disclosure is not published by its due time"),
    "holders_near_limit": (180, "alert when a product reaches this many holders"),
    "holders_at_limit": (200, "alert when a product reaches this many holders (the legal limit)"),
    "long_tenor": (183, "alert when a voucher is issued with a tenor above this many days"),
    "auction_failed": (1, "1 = alert when an auction ends without a valid bid"),
    "payer_concentration": (5_000, "alert when one payer's vouchers exceed this share (bps) of a product's underlying"),
    "large_transfer": (10_000_000_00, "alert on a transfer above this many fen (vouchers, product units, NPA deals)"),
    # what the outside services attest (docs/outside-world.md)
    "invoice_voided": (1, "1 = alert when the tax service voids an invoice (the roots drawing on it are frozen)"),
    "invoice_mismatch": (1, "1 = alert when the tax service's record of an invoice differs from the registered one"),
    "unverified_invoice": (1, "1 = alert when a voucher is issued drawing on an invoice the tax service has "
                              "not verified"),
    "registration_mismatch": (1, "1 = alert when the registry's registration differs from a financing, or its "
                                 "search finds earlier registrations"),
    "short_payment": (1, "1 = alert when a payer's payment of a voucher root past maturity leaves fen unpaid"),
}

# a receivables event of the outside services or the rail -> (rule, severity, subject kind, its field)
OUTSIDE_WORLD: dict[str, tuple[str, str, str, str]] = {
    "InvoiceVoided": ("invoice_voided", "critical", "invoice", "invoice"),
    "InvoiceMismatch": ("invoice_mismatch", "warning", "invoice", "invoice"),
    "InvoiceDrawnUnverified": ("unverified_invoice", "info", "invoice", "invoice"),
    "RegistrationMismatch": ("registration_mismatch", "warning", "voucher", "voucher"),
    "PaymentShort": ("short_payment", "warning", "voucher", "root"),
}

Alert = tuple[str, str, str, dict[str, Any]]  # rule, subject, severity, evidence
Reader = Callable[[str, str], Any]  # ctx.read: (contract, key) -> record or None


def _hex(b: bytes | None) -> str | None:
    return None if b is None else b.hex()


def evaluate(ctx: Ctx, rules: dict[str, int], read: Reader) -> Iterator[Alert]:
    """Every alert the block raises, in a deterministic order (transactions, then events)."""
    txs = ctx.block.txs
    tx_hash = {o.index: o.tx_hash for o in txs}
    if rules["invoice_reuse"]:
        for o in txs:
            if o.contract != "receivables" or o.code == "ok":
                continue
            # an invoice the tax service has not verified, or voided, is not reuse: its own rules say so
            reuse = (o.method == "issue" and o.code in ("limit_exceeded", "invalid_state", "duplicate")
                     and "invoice" in o.message and "tax service" not in o.message) \
                or (o.method == "register_invoice" and o.code == "duplicate")
            if reuse:
                invoices = [r[0] for r in o.args.get("invoices", []) if type(r) is list and r] \
                    if o.method == "issue" else [f"{o.args.get('code')}-{o.args.get('number')}"]
                yield ("invoice_reuse", o.signer_org, "critical",
                       {"tx": o.tx_hash.hex(), "method": o.method, "code": o.code, "message": o.message,
                        "invoices": [str(i) for i in invoices][:50]})
    for ev in ctx.block.events:
        c, t, a = ev["contract"], ev["type"], ev["attrs"]
        evidence = {"tx": _hex(tx_hash.get(ev["tx"])), "event": f"{c}.{t}", **a}
        if c == "receivables" and t == "VoucherOverdue" and rules["voucher_overdue"]:
            yield "voucher_overdue", f"voucher:{a['root']}", "warning", evidence
        elif c == "receivables" and t == "VoucherIssued" and rules["long_tenor"]:
            days = (a["maturity"] - ctx.time) // DAY
            if days > rules["long_tenor"]:
                yield "long_tenor", f"voucher:{a['voucher']}", "warning", evidence | {"tenor_days": days}
        elif c == "receivables" and t in OUTSIDE_WORLD:
            rule, severity, kind, field = OUTSIDE_WORLD[t]
            if rules[rule]:
                yield rule, f"{kind}:{a[field]}", severity, evidence
        elif c == "receivables" and t == "VoucherTransferred" and rules["large_transfer"]:
            if a["amount"] > rules["large_transfer"]:
                yield "large_transfer", f"voucher:{a['voucher']}", "warning", evidence
        elif c == "plans" and t == "DisclosureOverdue" and rules["disclosure_overdue"]:
            yield "disclosure_overdue", f"plan:{a['plan']}", "warning", evidence
        elif c == "auctions" and t == "AuctionFailed" and rules["auction_failed"]:
            yield "auction_failed", f"auction:{a['auction']}", "warning", evidence
        elif c == "auctions" and t == "AuctionAwarded" and rules["large_transfer"]:
            if a["price"] > rules["large_transfer"]:
                yield "large_transfer", f"auction:{a['auction']}", "warning", evidence
        elif c == "products" and t in ("ProductSubscribed", "TransferRegistered"):
            product = read("products", f"product/{a['product']}")
            holders = len(product["holders"]) if product else 0
            for rule in ("holders_at_limit", "holders_near_limit"):
                if rules[rule] and holders >= rules[rule]:
                    yield rule, f"product:{a['product']}", "critical" if rule == "holders_at_limit" else "warning", \
                        evidence | {"holders": holders}
                    break
            if t == "TransferRegistered" and rules["large_transfer"] and a["price"] > rules["large_transfer"]:
                yield "large_transfer", f"product:{a['product']}", "warning", evidence
        elif c == "products" and t == "UnderlyingAdded" and rules["payer_concentration"]:
            yield from _concentration(a["product"], rules["payer_concentration"], read, evidence)


def _concentration(product_id: str, limit_bps: int, read: Reader, evidence: dict[str, Any]) -> Iterator[Alert]:
    """One payer's share of a product's underlying above the limit (bounded: <= 200 vouchers)."""
    product = read("products", f"product/{product_id}")
    by_payer: dict[str, int] = {}
    for vid in product["underlying"]:
        u = read("products", f"underlying/{vid}")
        by_payer[u["payer"]] = by_payer.get(u["payer"], 0) + u["amount"]
    total = sum(by_payer.values())
    for payer in sorted(by_payer):
        share = by_payer[payer] * 10_000 // total if total else 0
        if share > limit_bps:
            yield ("payer_concentration", f"product:{product_id}", "warning",
                   evidence | {"payer": payer, "share_bps": share, "underlying": total})
