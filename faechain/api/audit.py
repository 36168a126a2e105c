"""Regulator views: any organisation's or asset's history, and the audit-trail export.

    GET /v1/history?ref=<id>&limit=&after=          the records naming `ref`, oldest first (paged)
    GET /v1/audit/export?format=csv|zip|xlsx&ref=<id>|org=<uscc>&from_height=&to_height=
                                                    a file, one row per record (see faechain.ledger.audit)

Both read the history index (`faechain.ledger.history`): every committed transaction,
successful or rejected, and every block's end-block events, with the references each
names (its signer's organisation and certificate, ids in its arguments, result and
events). Only the REGULATOR and the EXCHANGE may read them; any other member gets 403
`forbidden`. Reads are signed as usual (anonymous only on an open dev node: `fae demo --open`).

The history is paged with `after`, the `next` cursor of the previous page
("<height>:<index>"). An export is pinned to the head when it starts (`to_height`
defaults to it), so its manifest (the last block's hash and app hash) describes exactly
the rows it holds. The formats (faechain.ledger.audit_files):

    csv    the rows alone, streamed: what `pandas.read_csv` and a spreadsheet open as is
    zip    the rows (<name>.csv) and their manifest (<name>.meta.csv: chain, range, last block,
           who exported them and when, the row count and the data file's SHA-256), written to
           a temporary file and then sent: what `fae audit verify` checks whole
    xlsx   one workbook, the manifest in its second sheet; built in memory and refused beyond
           `MAX_XLSX_ROWS` rows (413 `too_large`: narrow the height range or use zip)
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from typing import TYPE_CHECKING

from aiohttp import web

from faechain.api import auth
from faechain.api.errors import HttpError
from faechain.api.http import MAX_INT_PARAM, int_param, json_response, parse_int
from faechain.ledger import audit as _audit
from faechain.ledger import history as _history

if TYPE_CHECKING:  # the server imports this module to register its routes
    from faechain.api.server import Api

log = logging.getLogger("faechain.api.audit")

READERS = frozenset({"REGULATOR", "EXCHANGE"})
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_XLSX_ROWS = _audit.MAX_XLSX_ROWS
CSV_TYPE = "text/csv"
ZIP_TYPE = "application/zip"
FORMATS = ("csv", "zip", "xlsx")
SPOOL = 8 << 20  # a ZIP export is kept in memory up to this size, then in a temporary file
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


async def _auditor(api: Api, request: web.Request):
    caller = auth.require_member(await api.reader(request))  # an unsigned non-member: 401
    if caller is not None and caller.role not in READERS:
        raise HttpError("forbidden", f"only the regulator and the exchange read the history and the audit trail; "
                                    f"{caller.org_id} is {caller.role}")
    return caller


def _cursor(text: str | None) -> tuple[int, int]:
    if not text:
        return (-1, -1)
    h, sep, i = text.partition(":")
    try:
        if not sep:
            raise ValueError
        height, index = parse_int(h), parse_int(i)
    except ValueError:
        raise HttpError("bad_request",
                        "parameter 'after' is a cursor '<height>:<index>' (the previous 'next')") from None
    if height < 0 or index < 0:
        raise HttpError("bad_request", "parameter 'after' must not be negative")
    if height > MAX_INT_PARAM or index > MAX_INT_PARAM:
        raise HttpError("bad_request", f"parameter 'after' holds numbers of at most {MAX_INT_PARAM}")
    return height, index


def _ref_param(request: web.Request, name: str, required: bool) -> str | None:
    value = request.query.get(name, "")
    if not value:
        if required:
            raise HttpError("bad_request", f"parameter {name!r} is required")
        return None
    if len(value) > _history.MAX_REF:
        raise HttpError("bad_request", f"parameter {name!r} has at most {_history.MAX_REF} characters")
    return value


def add_routes(app: web.Application, api: Api) -> None:
    node = api.node

    async def history(request: web.Request) -> web.Response:
        await _auditor(api, request)
        ref = _ref_param(request, "ref", True)
        limit = int_param(request, "limit", DEFAULT_LIMIT, 1)
        if limit > MAX_LIMIT:
            raise HttpError("bad_request", f"parameter 'limit' is at most {MAX_LIMIT}")
        after = _cursor(request.query.get("after"))
        head = node.app.height
        store = node.store

        def page():
            rows = store.history_find(ref, after, limit + 1, 0, head)
            more = len(rows) > limit
            headers = _audit.Headers(store)
            items = []
            for h, i, how in rows[:limit]:
                rec = _audit.record(store, h, i, headers)
                if rec is not None:
                    items.append(_audit.record_json(rec, _history.how_names(how)))
            return items, more

        items, more = await api.run_blocking(page)
        nxt = f"{items[-1]['height']}:{items[-1]['index']}" if more and items else None
        return json_response({"ref": ref, "height": head, "items": items, "next": nxt})

    async def export(request: web.Request) -> web.StreamResponse:
        caller = await _auditor(api, request)
        fmt = (request.query.get("format") or "csv").lower()
        if fmt not in FORMATS:
            raise HttpError("bad_request", "parameter 'format' is csv, zip or xlsx")
        ref = _ref_param(request, "ref", False)
        org = _ref_param(request, "org", False)
        if ref is not None and org is not None:
            raise HttpError("bad_request", "give 'ref' or 'org', not both")
        head = node.app.height
        lo = int_param(request, "from_height", 0)
        hi = int_param(request, "to_height", head)
        if hi > head:
            raise HttpError("not_found", f"height {hi} is not committed (head is {head})")
        if lo > hi:
            raise HttpError("bad_request", "from_height lies above to_height")
        store = node.store
        sel = _audit.Selection(lo, hi, ref, org)
        by = caller.org_id if caller is not None else None
        meta = await api.run_blocking(_audit.export_meta, store, sel, node.app.chain_id, int(time.time() * 1000), by)
        what = ref or org or "all"
        stem = _FILENAME_UNSAFE.sub("_", f"audit-{node.app.chain_id}-{what}-{lo}-{hi}")
        disposition = f'attachment; filename="{stem}.{fmt}"'
        if fmt == "zip":
            return await _send_zip(request, stem, disposition, lambda out: _audit.write_zip(
                out, stem, meta, _audit.export_rows(store, sel)))
        if fmt == "xlsx":
            n = await api.run_blocking(sel.count, store)
            if n > MAX_XLSX_ROWS:
                raise HttpError("too_large", f"{n} rows exceed the XLSX limit of {MAX_XLSX_ROWS}: "
                                            "narrow the height range or export CSV")
            data = await api.run_blocking(lambda: _audit.xlsx_bytes(meta, _audit.export_rows(store, sel)))
            return web.Response(body=data, headers={"Content-Type": XLSX_TYPE, "Content-Disposition": disposition})
        resp = web.StreamResponse(headers={"Content-Type": f"{CSV_TYPE}; charset=utf-8",
                                           "Content-Disposition": disposition})
        await resp.prepare(request)
        writer = _audit.CsvWriter()
        await resp.write(writer.start())
        batches = _audit.export_rows(store, sel)
        try:
            while True:
                batch = await api.run_blocking(next, batches, None)
                if batch is None:
                    break
                await resp.write(writer.rows(batch))
        except (ConnectionError, RuntimeError) as exc:  # the reader went away
            log.info("audit export stream ended early: %s", exc)
            return resp
        except Exception:
            log.exception("audit export failed after %d rows", writer.count)
            return resp
        await resp.write_eof()
        return resp

    async def _send_zip(request: web.Request, stem: str, disposition: str, write) -> web.StreamResponse:
        """Write the ZIP in a worker (to memory, or a temporary file once large), then send it."""
        with tempfile.SpooledTemporaryFile(max_size=SPOOL) as out:
            await api.run_blocking(write, out)
            size = out.tell()
            out.seek(0)
            resp = web.StreamResponse(headers={"Content-Type": ZIP_TYPE, "Content-Disposition": disposition,
                                               "Content-Length": str(size)})
            await resp.prepare(request)
            while chunk := await api.run_blocking(out.read, 1 << 20):
                await resp.write(chunk)
            await resp.write_eof()
            return resp

    r = app.router
    r.add_get("/v1/history", history)
    r.add_get("/v1/audit/export", export)
