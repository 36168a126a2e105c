"""GET /console/api/refusals: the refusals catalog, for the console to show refusals in Chinese or English.

The catalog (`faechain/core/refusals_zh.json`) is data: the English templates of every refusal
the contracts and the chain write, their Chinese, the kind of each hole, the words and the
codes' sentences. `faechain.core.refusals` renders it in Python (the SDK, the CLI); the
console's `static/refusals.js` renders the very same file in the browser, so both show a
receipt's message alike. Public, like the console's assets: it names no member and no record.
"""

from __future__ import annotations

import functools

from aiohttp import web

from faechain.core.refusals import CATALOG_FILE


@functools.cache
def _body() -> bytes:
    return CATALOG_FILE.read_bytes()


async def catalog(request: web.Request) -> web.Response:
    """The catalog as JSON (read once per process: it changes only with the package)."""
    return web.Response(body=_body(), headers={"Content-Type": "application/json; charset=utf-8",
                                               "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


__all__ = ["catalog"]
