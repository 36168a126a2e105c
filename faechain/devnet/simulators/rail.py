"""The payment rail simulator (e-CNY): accounts with balances, collections, payouts, reservations.

    POST /accounts {account[, owner][, balance]}          open an account (balance in fen, default 0)
    POST /accounts/{account}/deposit {amount}             add money to it
    POST /collections {account, amount, reference}        collect under the payer's standing mandate: what the
                                                          balance allows, up to the amount (a partial payment)
    POST /payouts {account, amount, reference}            pay into an account
    POST /reservations {account, amount, reference}       reserve (冻结) in a wallet for a conditional payment
    POST /reservations/{reference}/settle {account}       pay the reservation to the payee's account
    POST /reservations/{reference}/release                return it to the payer's balance
    GET  /accounts, /accounts/{account}, /collections, /payouts, /reservations

Every call that moves money is idempotent by its reference: a second call answers the first.
What it does not simulate: where a payout's money comes from (it is credited to the payee;
no one is debited), interbank settlement, cut-off times, fees, limits.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from aiohttp import web

from faechain.devnet.simulators.base import Route, SimulatorError, make_app, need_amount, need_text, open_db, rows

TITLE = "e-CNY payment rail simulator"
log = logging.getLogger("faechain.simulators")

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, owner TEXT NOT NULL, balance INTEGER NOT NULL, reserved INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT UNIQUE NOT NULL, account TEXT NOT NULL,
    asked INTEGER NOT NULL, collected INTEGER NOT NULL, rail_ref TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS payouts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT UNIQUE NOT NULL, account TEXT NOT NULL,
    amount INTEGER NOT NULL, ok INTEGER NOT NULL, rail_ref TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS reservations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT UNIQUE NOT NULL, account TEXT NOT NULL,
    amount INTEGER NOT NULL, status TEXT NOT NULL, rail_ref TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
    payee TEXT, settle_ref TEXT, release_ref TEXT);
"""
RESERVED, SETTLED, RELEASED, DECLINED = "RESERVED", "SETTLED", "RELEASED", "DECLINED"


def outcome(ok: bool, rail_ref: str = "", reason: str = "") -> dict[str, Any]:
    return {"ok": ok, "rail_ref": rail_ref, "reason": reason}


class RailSimulator:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def in_tx(self, work: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
        """`work()` in one SQLite transaction: all of a call's changes, or none."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            out = work()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return out

    def find(self, account: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM accounts WHERE account = ?", (account,)).fetchone()
        return dict(row) if row else None

    def account(self, account: str) -> dict[str, Any]:
        found = self.find(account)
        if found is None:
            raise SimulatorError(404, "not_found", f"the {TITLE} has no account {account}")
        return found

    def move(self, account: str, balance: int = 0, reserved: int = 0) -> None:
        self.db.execute("UPDATE accounts SET balance = balance + ?, reserved = reserved + ? WHERE account = ?",
                        (balance, reserved, account))

    # -- accounts ------------------------------------------------------------------------------------
    def open_account(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        account = need_text(body, "account")
        owner = body.get("owner") if isinstance(body.get("owner"), str) else ""
        balance = need_amount(body, "balance", allow_zero=True) if "balance" in body else 0
        try:
            self.db.execute("INSERT INTO accounts VALUES (?, ?, ?, 0)", (account, owner, balance))
        except sqlite3.IntegrityError:
            raise SimulatorError(409, "duplicate", f"account {account} already exists at the {TITLE}") from None
        log.info("%s: account %s opened for %s with %d fen", TITLE, account, owner or "(no owner)", balance)
        return 201, {"account": self.account(account)}

    def deposit(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        amount = need_amount(body)
        self.account(match["account"])
        self.move(match["account"], balance=amount)
        return 200, {"account": self.account(match["account"])}

    # -- collections and payouts ----------------------------------------------------------------------
    def collect(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        account, amount, reference = need_text(body, "account"), need_amount(body), need_text(body, "reference", 128)

        def work() -> tuple[int, dict]:
            done = self.db.execute("SELECT * FROM collections WHERE reference = ?", (reference,)).fetchone()
            if done is not None:
                return 200, {"collected": done["collected"], "rail_ref": done["rail_ref"], "repeated": True}
            acct = self.find(account)
            collected = min(acct["balance"], amount) if acct else 0
            cur = self.db.execute("INSERT INTO collections (reference, account, asked, collected) VALUES (?, ?, ?, ?)",
                                  (reference, account, amount, collected))
            rail_ref = f"SIM-COL-{cur.lastrowid:08d}" if collected else ""
            self.db.execute("UPDATE collections SET rail_ref = ? WHERE seq = ?", (rail_ref, cur.lastrowid))
            if collected:
                self.move(account, balance=-collected)
            log.info("%s: collected %d of %d fen from %s for %s", TITLE, collected, amount, account, reference)
            return 200, {"collected": collected, "rail_ref": rail_ref}
        return self.in_tx(work)

    def payout(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        account, amount, reference = need_text(body, "account"), need_amount(body), need_text(body, "reference", 128)

        def work() -> tuple[int, dict]:
            done = self.db.execute("SELECT * FROM payouts WHERE reference = ?", (reference,)).fetchone()
            if done is not None:
                return 200, {**outcome(bool(done["ok"]), done["rail_ref"], done["reason"]), "repeated": True}
            ok = self.find(account) is not None
            reason = "" if ok else f"no account {account} at the {TITLE}"
            cur = self.db.execute("INSERT INTO payouts (reference, account, amount, ok, reason) VALUES (?, ?, ?, ?, ?)",
                                  (reference, account, amount, int(ok), reason))
            rail_ref = f"SIM-PAY-{cur.lastrowid:08d}" if ok else ""
            self.db.execute("UPDATE payouts SET rail_ref = ? WHERE seq = ?", (rail_ref, cur.lastrowid))
            if ok:
                self.move(account, balance=amount)
            log.info("%s: payout %s of %d fen to %s: %s", TITLE, reference, amount, account, rail_ref or reason)
            return 200, outcome(ok, rail_ref, reason)
        return self.in_tx(work)

    # -- reservations (conditional payments) ----------------------------------------------------------
    def reservation(self, reference: str) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM reservations WHERE reference = ?", (reference,)).fetchone()
        if row is None:
            raise SimulatorError(404, "not_found", f"the {TITLE} holds no reservation {reference}")
        return dict(row)

    def reserve(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        account, amount, reference = need_text(body, "account"), need_amount(body), need_text(body, "reference", 128)

        def work() -> tuple[int, dict]:
            done = self.db.execute("SELECT * FROM reservations WHERE reference = ?", (reference,)).fetchone()
            if done is not None:
                return 200, {**outcome(done["status"] != DECLINED, done["rail_ref"], done["reason"]), "repeated": True}
            acct = self.find(account)
            if acct is None or acct["balance"] < amount:
                reason = (f"no account {account} at the {TITLE}" if acct is None else
                          f"insufficient balance: {acct['balance']} fen available, {amount} fen to reserve")
                self.db.execute("INSERT INTO reservations (reference, account, amount, status, reason) "
                                "VALUES (?, ?, ?, ?, ?)", (reference, account, amount, DECLINED, reason))
                log.info("%s: reservation %s declined: %s", TITLE, reference, reason)
                return 200, outcome(False, "", reason)
            cur = self.db.execute("INSERT INTO reservations (reference, account, amount, status) VALUES (?, ?, ?, ?)",
                                  (reference, account, amount, RESERVED))
            rail_ref = f"SIM-RSV-{cur.lastrowid:08d}"
            self.db.execute("UPDATE reservations SET rail_ref = ? WHERE seq = ?", (rail_ref, cur.lastrowid))
            self.move(account, balance=-amount, reserved=amount)
            log.info("%s: reserved %d fen in %s for %s (%s)", TITLE, amount, account, reference, rail_ref)
            return 200, outcome(True, rail_ref)
        return self.in_tx(work)

    def settle(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        payee = need_text(body, "account")

        def work() -> tuple[int, dict]:
            r = self.reservation(match["reference"])
            if r["status"] == SETTLED:
                return 200, {**outcome(True, r["settle_ref"]), "repeated": True}
            if r["status"] != RESERVED:
                return 200, outcome(False, "", f"reservation {r['reference']} is {r['status']}")
            if self.find(payee) is None:
                return 200, outcome(False, "", f"no account {payee} at the {TITLE}")
            ref = f"SIM-STL-{r['seq']:08d}"
            self.move(r["account"], reserved=-r["amount"])
            self.move(payee, balance=r["amount"])
            self.db.execute("UPDATE reservations SET status = ?, payee = ?, settle_ref = ? WHERE seq = ?",
                            (SETTLED, payee, ref, r["seq"]))
            log.info("%s: reservation %s paid to %s (%s)", TITLE, r["reference"], payee, ref)
            return 200, outcome(True, ref)
        return self.in_tx(work)

    def release(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        def work() -> tuple[int, dict]:
            r = self.reservation(match["reference"])
            if r["status"] == RELEASED:
                return 200, {**outcome(True, r["release_ref"]), "repeated": True}
            if r["status"] != RESERVED:
                return 200, outcome(False, "", f"reservation {r['reference']} is {r['status']}")
            ref = f"SIM-REL-{r['seq']:08d}"
            self.move(r["account"], balance=r["amount"], reserved=-r["amount"])
            self.db.execute("UPDATE reservations SET status = ?, release_ref = ? WHERE seq = ?",
                            (RELEASED, ref, r["seq"]))
            log.info("%s: reservation %s released to %s (%s)", TITLE, r["reference"], r["account"], ref)
            return 200, outcome(True, ref)
        return self.in_tx(work)

    # -- inspection -------------------------------------------------------------------------------------
    def listing(self, table: str, key: str) -> Callable[[dict, dict, dict], tuple[int, dict]]:
        def answer(body: dict, match: dict, query: dict) -> tuple[int, dict]:
            return 200, {key: rows(self.db.execute(f"SELECT * FROM {table} ORDER BY rowid"))}
        return answer

    def get_account(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        return 200, {"account": self.account(match["account"])}

    def health(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        return 200, {"ok": True, "service": "rail"}

    def routes(self) -> list[Route]:
        return [("POST", "/accounts", self.open_account), ("GET", "/accounts", self.listing("accounts", "accounts")),
                ("GET", "/accounts/{account}", self.get_account),
                ("POST", "/accounts/{account}/deposit", self.deposit),
                ("POST", "/collections", self.collect),
                ("GET", "/collections", self.listing("collections", "collections")),
                ("POST", "/payouts", self.payout), ("GET", "/payouts", self.listing("payouts", "payouts")),
                ("POST", "/reservations", self.reserve),
                ("GET", "/reservations", self.listing("reservations", "reservations")),
                ("POST", "/reservations/{reference}/settle", self.settle),
                ("POST", "/reservations/{reference}/release", self.release),
                ("GET", "/health", self.health)]


def build(db_path: str) -> web.Application:
    return make_app(TITLE, RailSimulator(open_db(db_path, SCHEMA)).routes())
