"""The movable-property registry simulator: registrations funders file, searches, releases.

    POST /registrations {kind, creditor, debtor, amount, voucher}   a funder files one → {"registration": {reg_no..}}
    POST /searches {debtor, voucher}                                 active registrations against the debtor
                                                                     covering the piece, in filing order
    POST /registrations/{reg_no}/release {reference}                 release (注销); idempotent by registration
    GET  /registrations[?debtor=], /registrations/{reg_no}, /searches
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from aiohttp import web

from faechain.adapters.interfaces import REGISTRATION_ACTIVE, REGISTRATION_KINDS, REGISTRATION_RELEASED
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

TITLE = "movable-property registry simulator"
log = logging.getLogger("faechain.simulators")

SCHEMA = """
CREATE TABLE IF NOT EXISTS registrations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, reg_no TEXT UNIQUE, kind TEXT NOT NULL, creditor TEXT NOT NULL,
    debtor TEXT NOT NULL, amount INTEGER NOT NULL, voucher TEXT NOT NULL, status TEXT NOT NULL,
    release_ref TEXT, release_reference TEXT);
CREATE TABLE IF NOT EXISTS searches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, search_no TEXT UNIQUE, debtor TEXT NOT NULL, voucher TEXT NOT NULL,
    found TEXT NOT NULL);
"""
FIELDS = "reg_no, kind, creditor, debtor, amount, voucher, status, release_ref, release_reference"


class RegistrySimulator:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def registration(self, reg_no: str) -> dict[str, Any]:
        row = self.db.execute(f"SELECT {FIELDS} FROM registrations WHERE reg_no = ?", (reg_no,)).fetchone()
        if row is None:
            raise SimulatorError(404, "not_found", f"the {TITLE} holds no registration {reg_no}")
        return dict(row)

    def file(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        kind = choice(body, "kind", REGISTRATION_KINDS)
        creditor, debtor, voucher = need_text(body, "creditor"), need_text(body, "debtor"), need_text(body, "voucher")
        amount = need_amount(body)
        self.db.execute("BEGIN")
        cur = self.db.execute("INSERT INTO registrations (kind, creditor, debtor, amount, voucher, status) "
                              "VALUES (?, ?, ?, ?, ?, ?)",
                              (kind, creditor, debtor, amount, voucher, REGISTRATION_ACTIVE))
        reg_no = f"SIM-ZD-{cur.lastrowid:08d}"
        self.db.execute("UPDATE registrations SET reg_no = ? WHERE seq = ?", (reg_no, cur.lastrowid))
        self.db.execute("COMMIT")
        log.info("%s: %s registration %s filed (creditor %s, debtor %s, %d fen, piece %s)", TITLE, kind, reg_no,
                 creditor, debtor, amount, voucher)
        return 201, {"registration": self.registration(reg_no)}

    def search(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        debtor, voucher = need_text(body, "debtor"), need_text(body, "voucher")
        found = [r["reg_no"] for r in self.db.execute(
            "SELECT reg_no FROM registrations WHERE debtor = ? AND voucher = ? AND status = ? ORDER BY seq",
            (debtor, voucher, REGISTRATION_ACTIVE))]
        self.db.execute("BEGIN")
        cur = self.db.execute("INSERT INTO searches (debtor, voucher, found) VALUES (?, ?, ?)",
                              (debtor, voucher, json.dumps(found)))
        search_no = f"SIM-CX-{cur.lastrowid:08d}"
        self.db.execute("UPDATE searches SET search_no = ? WHERE seq = ?", (search_no, cur.lastrowid))
        self.db.execute("COMMIT")
        return 200, {"search_no": search_no, "found": found}

    def release(self, body: dict[str, Any], match: dict, query: dict) -> tuple[int, dict]:
        reg = self.registration(match["reg_no"])
        if reg["status"] == REGISTRATION_RELEASED:
            return 200, {"reference": reg["release_ref"], "registration": reg}
        given = body.get("reference")
        reference = given if isinstance(given, str) else ""
        ref = f"SIM-ZX-{reg['reg_no'].rsplit('-', 1)[-1]}"
        self.db.execute("UPDATE registrations SET status = ?, release_ref = ?, release_reference = ? WHERE reg_no = ?",
                        (REGISTRATION_RELEASED, ref, reference[:64], reg["reg_no"]))
        log.info("%s: registration %s released (%s)", TITLE, reg["reg_no"], ref)
        return 200, {"reference": ref, "registration": self.registration(reg["reg_no"])}

    def list_registrations(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        if query.get("debtor"):
            cur = self.db.execute(f"SELECT {FIELDS} FROM registrations WHERE debtor = ? ORDER BY seq",
                                  (query["debtor"],))
        else:
            cur = self.db.execute(f"SELECT {FIELDS} FROM registrations ORDER BY seq")
        return 200, {"registrations": rows(cur)}

    def get_registration(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        return 200, {"registration": self.registration(match["reg_no"])}

    def list_searches(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        found = rows(self.db.execute("SELECT search_no, debtor, voucher, found FROM searches ORDER BY seq"))
        return 200, {"searches": [{**s, "found": json.loads(s["found"])} for s in found]}

    def health(self, body: dict, match: dict, query: dict) -> tuple[int, dict]:
        return 200, {"ok": True, "service": "registry"}

    def routes(self) -> list[Route]:
        return [("POST", "/registrations", self.file), ("GET", "/registrations", self.list_registrations),
                ("GET", "/registrations/{reg_no}", self.get_registration),
                ("POST", "/registrations/{reg_no}/release", self.release),
                ("POST", "/searches", self.search), ("GET", "/searches", self.list_searches),
                ("GET", "/health", self.health)]


def build(db_path: str) -> web.Application:
    return make_app(TITLE, RegistrySimulator(open_db(db_path, SCHEMA)).routes())
