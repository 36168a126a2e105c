"""The payment rail's attestations: collections, payouts, conditional (e-CNY) payments.

    receivables/payments PaymentDue(root, payer, rail, amount)
        → collect from the payer's account → receivables.confirm_payment(root, collected, bank_ref)
    payments ClearingInstructed(instruction, ..., payee, rail, amount, account)
        → pay each → payments.confirm(results=[[instruction, "PAID", rail_ref] | [.., "FAILED", reason]])
          (one batch per block, at most CONFIRM_BATCH results per transaction)
    payments ConditionalPaymentCreated(payment, payer, payee, rail, amount, condition, expires)
        → reserve → payments.reserve(payment, rail_ref), or payments.decline(payment, reason);
          then watched: when `payments.conditional(id=payment)` answers `met`,
          settle to the payee → payments.settle_conditional(payment, rail_ref)
    payments ReserveReleaseDue(payment)
        → release → payments.release_reserve(payment, rail_ref)

Only events naming this rail (`rail` = the member's org id) are acted on. Every call to the
rail is idempotent by its reference (the root and the block of its PaymentDue, the
instruction, the conditional payment), so a block handed over again after a restart moves
no money twice; the chain refuses the repeated confirmation as already recorded.
"""

from __future__ import annotations

import functools
from typing import Any

from faechain.adapters.attestor import ALREADY_CODES, Chain, attr
from faechain.adapters.interfaces import PaymentRail
from faechain.sdk import ApiError

CONFIRM_BATCH = 500  # results per payments.confirm transaction (the contract's limit)
PAID, FAILED = "PAID", "FAILED"
PENDING, AWAITING_FUNDS, RESERVED = "PENDING", "AWAITING_FUNDS", "RESERVED"  # states the rail still acts on
FINISHED = frozenset({"SETTLED", "RELEASED", "DECLINED", "CANCELLED"})


def account_of(answer: Any) -> str | None:
    """The account number in a `payments.account` answer (a record, or the number itself)."""
    if isinstance(answer, dict):
        answer = answer.get("account")
    return answer if isinstance(answer, str) and answer else None


class RailHandler:
    """The PAYMENT_RAIL member's part (attestor.Handler), over a `PaymentRail`."""

    def __init__(self, rail: PaymentRail, *, confirm_batch: int = CONFIRM_BATCH) -> None:
        self.rail = rail
        self.confirm_batch = confirm_batch
        self.watching: dict[str, dict[str, Any]] = {}  # conditional payment id -> {"payee", "amount"}

    def restore(self, data: dict[str, Any]) -> None:
        self.watching = dict(data.get("watching") or {})

    def dump(self) -> dict[str, Any]:
        return {"watching": dict(sorted(self.watching.items()))}

    def account(self, org: str, chain: Chain) -> str | None:
        return account_of(chain.query("payments", "account", org=org, rail=chain.org_id))

    # -- per block ---------------------------------------------------------------------------------
    def handle_block(self, height: int, events: list[dict], chain: Chain) -> None:
        payouts: list[dict] = []
        for ev in events:
            if attr(ev, "rail") not in (None, chain.org_id):
                continue
            kind = ev.get("type")
            if kind == "PaymentDue" and attr(ev, "rail") == chain.org_id:
                self.collect(height, ev, chain)
            elif kind == "ClearingInstructed" and attr(ev, "rail") == chain.org_id:
                payouts.append(ev)
            elif kind == "ConditionalPaymentCreated" and attr(ev, "rail") == chain.org_id:
                self.reserve(ev, chain)
            elif kind == "ReserveReleaseDue" and ev.get("contract") == "payments":
                self.release(str(attr(ev, "payment")), chain)
        if payouts:
            self.pay(payouts, chain)

    def root_at(self, root: str, height: int | None, chain: Chain) -> dict[str, Any] | None:
        """The root's record as the chain held it at `height` (None: now); None if not shown."""
        def read() -> dict[str, Any] | None:
            try:
                doc = chain.client.state(f"receivables/root/{root}", height)
            except ApiError as exc:
                if exc.code == "not_found":
                    return None
                raise
            value = doc.get("decoded")
            return value if isinstance(value, dict) else None
        return chain.retrying(f"reading root {root}", read)

    def collect(self, height: int, ev: dict, chain: Chain) -> None:
        root, payer, amount = str(attr(ev, "root")), str(attr(ev, "payer")), int(attr(ev, "amount"))
        # The chain takes a second confirm_payment as a new round, so the repeat of a PaymentDue after a
        # restart is stopped here: a root that collected more since the event's block was confirmed after it.
        then, now = self.root_at(root, height, chain), self.root_at(root, None, chain)
        if then is not None and now is not None and now.get("collected", 0) > then.get("collected", 0):
            chain.say(f"confirm_payment {root}: already confirmed after this PaymentDue (block {height}); skipped")
            return
        account = self.account(payer, chain)
        if account is None:
            chain.say(f"confirm_payment {root}: payer {payer} has no account on this rail; nothing collected")
            return
        reference = f"{root}/{attr(ev, 'instalment') or 0}@{height}"  # one collection per PaymentDue event
        got = chain.retrying(f"collection for {root}", lambda: self.rail.collect(account, amount, reference))
        if got.collected <= 0:
            chain.say(f"confirm_payment {root}: nothing could be collected from {account}; nothing confirmed")
            return
        chain.attest("receivables", "confirm_payment", f"{root} ({got.collected} of {amount} fen)", root=root,
                     amount=got.collected, bank_ref=got.rail_ref)

    def pay(self, instructions: list[dict], chain: Chain) -> None:
        results: list[list[str]] = []
        for ev in instructions:
            ident, amount, account = str(attr(ev, "instruction")), int(attr(ev, "amount")), attr(ev, "account")
            on_chain = chain.query("payments", "instruction", id=ident)
            if isinstance(on_chain, dict) and on_chain.get("status") not in (None, PENDING):
                chain.say(f"confirm {ident}: already {on_chain['status']} on chain; skipped")
                continue
            if not account:
                results.append([ident, FAILED, "the payee has no account registered on this rail"])
                continue
            out = chain.retrying(f"payout {ident}", functools.partial(self.rail.pay, str(account), amount, ident))
            results.append([ident, PAID, out.rail_ref] if out.ok else [ident, FAILED, out.reason or "refused"])
        for start in range(0, len(results), self.confirm_batch):
            self.confirm(results[start:start + self.confirm_batch], chain)

    def confirm(self, batch: list[list[str]], chain: Chain) -> None:
        what = f"{len(batch)} instruction(s) {batch[0][0]}" + (f"..{batch[-1][0]}" if len(batch) > 1 else "")
        receipt = chain.attest("payments", "confirm", what, results=batch)
        if not receipt.ok and receipt.code in ALREADY_CODES and len(batch) > 1:
            # some were confirmed before a restart: confirm the others one by one
            for result in batch:
                chain.attest("payments", "confirm", f"instruction {result[0]}", results=[result])

    # -- conditional payments -------------------------------------------------------------------------
    def reserve(self, ev: dict, chain: Chain) -> None:
        payment, payer, amount = str(attr(ev, "payment")), str(attr(ev, "payer")), int(attr(ev, "amount"))
        rec = chain.query("payments", "conditional", id=payment)
        if isinstance(rec, dict) and rec.get("status") not in (None, AWAITING_FUNDS):
            chain.say(f"reserve {payment}: already {rec['status']} on chain; skipped")
            if rec.get("status") == RESERVED:
                self.watching[payment] = {"payee": str(attr(ev, "payee")), "amount": amount}
            return
        account = self.account(payer, chain)
        if account is None:
            chain.attest("payments", "decline", payment, payment=payment,
                         reason="the payer has no account registered on this rail")
            return
        out = chain.retrying(f"reservation {payment}", lambda: self.rail.reserve(account, amount, payment))
        if not out.ok:
            chain.attest("payments", "decline", payment, payment=payment, reason=out.reason or "refused by the rail")
            return
        receipt = chain.attest("payments", "reserve", payment, payment=payment, rail_ref=out.rail_ref)
        if receipt.ok or receipt.code in ALREADY_CODES:
            self.watching[payment] = {"payee": str(attr(ev, "payee")), "amount": amount}

    def poll(self, chain: Chain) -> None:
        for payment in sorted(self.watching):
            rec = chain.query("payments", "conditional", id=payment)
            if not isinstance(rec, dict):
                continue  # not shown (yet): asked again next time
            if rec.get("status") in FINISHED:
                del self.watching[payment]
            elif rec.get("met"):
                self.settle(payment, str(rec.get("payee") or self.watching[payment]["payee"]), chain)

    def settle(self, payment: str, payee: str, chain: Chain) -> None:
        account = self.account(payee, chain)
        if account is None:
            chain.say(f"settle_conditional {payment}: payee {payee} has no account on this rail; waiting")
            return
        out = chain.retrying(f"settlement {payment}", lambda: self.rail.settle(payment, account))
        if not out.ok:
            chain.say(f"settle_conditional {payment}: the rail refused ({out.reason}); waiting")
            return
        receipt = chain.attest("payments", "settle_conditional", payment, payment=payment, rail_ref=out.rail_ref)
        if receipt.ok or receipt.code in ALREADY_CODES:
            self.watching.pop(payment, None)

    def release(self, payment: str, chain: Chain) -> None:
        rec = chain.query("payments", "conditional", id=payment)
        if payment not in self.watching and isinstance(rec, dict) and rec.get("rail") != chain.org_id:
            return  # another rail's reservation
        out = chain.retrying(f"release {payment}", lambda: self.rail.release(payment))
        if not out.ok:
            chain.say(f"release_reserve {payment}: the rail refused ({out.reason}); nothing attested")
            return
        chain.attest("payments", "release_reserve", payment, payment=payment, rail_ref=out.rail_ref)
        self.watching.pop(payment, None)
