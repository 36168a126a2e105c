"""The e-invoice service simulator: a table of invoices as the tax system would hold them.

    POST /invoices {code, number, seller, buyer, amount[, status]}   seed one (status NORMAL by default)
    POST /invoices/{code}-{number}/void {reason}                     void it (红冲/作废): the attestor
                                                                     sends receivables.void_invoice
    GET  /invoices, /invoices/{code}-{number}, /voids?after=&limit=  what it holds (the adapter reads these)

Seller and buyer are taxpayer ids (USCC, the faechain org id); amounts are fen.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any

from aiohttp import web

from faechain.adapters.interfaces import INVOICE_NORMAL, INVOICE_STATUSES, INVOICE_VOIDED
from faechain.devnet.simulators.base import (
    Route,
    SimulatorError,
    choice,
    make_app,
    need_amount,
    need_text,
    open_db,
    rows,
)

TITLE = "e-invoice service simulator"
log = logging.getLogger("faechain.simulators")
PART = re.compile(r"^[0-9A-Za-z]{1,20}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY, code TEXT NOT NULL, number TEXT NOT NULL, seller TEXT NOT NULL, buyer TEXT NOT NULL,
    amount INTEGER NOT NULL, status TEXT NOT NULL, reference TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS voids (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, invoice TEXT NOT NULL, reference TEXT NOT NULL, reason TEXT NOT NULL);
"""


class TaxSimulator:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def invoice(self, ident: str) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM invoices WHERE id = ?", (ident,)).fetchone()
        if row is None:
            raise SimulatorError(404, "not_found", f"the {TITLE} holds no invoice {ident}")
        return dict(row)

    def seed(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        code, number = need_text(body, "code", 20), need_text(body, "number", 20)
        if not (PART.match(code) and PART.match(number)):
            raise SimulatorError(400, "bad_request", "invoice code and number must be 1-20 letters or digits")
        seller, buyer = need_text(body, "seller"), need_text(body, "buyer")
        amount = need_amount(body)
        status = choice(body, "status", INVOICE_STATUSES, INVOICE_NORMAL)
        ident = f"{code}-{number}"
        try:
            self.db.execute("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (ident, code, number, seller, buyer, amount, status, f"SIM-TAX-{ident}"))
        except sqlite3.IntegrityError:
            raise SimulatorError(409, "duplicate", f"invoice {ident} is already in the {TITLE}") from None
        log.info("%s: invoice %s seeded (%s → %s, %d fen, %s)", TITLE, ident, seller, buyer, amount, status)
        return 201, {"invoice": self.invoice(ident)}

    def void(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        inv = self.invoice(match["id"])
        if inv["status"] == INVOICE_VOIDED:
            return 200, {"invoice": inv}
        given = body.get("reason")
        reason = given.strip() if isinstance(given, str) and given.strip() else f"voided at the {TITLE}"
        self.db.execute("BEGIN")
        cur = self.db.execute("INSERT INTO voids (invoice, reference, reason) VALUES (?, '', ?)",
                              (inv["id"], reason[:200]))
        self.db.execute("UPDATE voids SET reference = ? WHERE seq = ?", (f"SIM-VOID-{cur.lastrowid:06d}",
                                                                         cur.lastrowid))
        self.db.execute("UPDATE invoices SET status = ? WHERE id = ?", (INVOICE_VOIDED, inv["id"]))
        self.db.execute("COMMIT")
        log.info("%s: invoice %s voided (%s)", TITLE, inv["id"], reason)
        return 200, {"invoice": self.invoice(inv["id"])}

    def list_invoices(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        return 200, {"invoices": rows(self.db.execute("SELECT * FROM invoices ORDER BY id"))}

    def get_invoice(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        return 200, {"invoice": self.invoice(match["id"])}

    def voids(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        try:
            after, limit = int(query.get("after", 0)), max(1, min(int(query.get("limit", 100)), 1000))
        except ValueError:
            raise SimulatorError(400, "bad_request", "after and limit must be whole numbers") from None
        found = rows(self.db.execute(
            "SELECT v.seq, i.code, i.number, v.reference, v.reason FROM voids v JOIN invoices i ON i.id = v.invoice "
            "WHERE v.seq > ? ORDER BY v.seq LIMIT ?", (after, limit)))
        return 200, {"voids": found}

    def health(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        return 200, {"ok": True, "service": "tax"}

    def routes(self) -> list[Route]:
        return [("POST", "/invoices", self.seed), ("GET", "/invoices", self.list_invoices),
                ("GET", "/invoices/{id}", self.get_invoice), ("POST", "/invoices/{id}/void", self.void),
                ("GET", "/voids", self.voids), ("GET", "/health", self.health)]


def build(db_path: str) -> web.Application:
    return make_app(TITLE, TaxSimulator(open_db(db_path, SCHEMA)).routes())
