"""HTTP-level refusals as JSON: the node's aiohttp server answers a request it cannot even
parse (a request line or header over 8,190 bytes, a malformed request) with a JSON error
and a stable code like every other (`Runner`), not aiohttp's text/plain page.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

PROTOCOL_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
                  414: "too_large", 431: "too_large"}


def _error(status: int, code: str, message: str, headers: dict | None = None) -> web.Response:
    return web.Response(body=json.dumps({"code": code, "message": message}).encode(), status=status,
                        content_type="application/json", headers=headers)


class _JsonErrorHandler(RequestHandler):
    """aiohttp's protocol handler, answering its own refusals as JSON `{code, message}`."""

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)  # logs; raises if already answering
        reason = (message or "").strip().splitlines()[0][:200] if message else ""
        resp = _error(status, PROTOCOL_CODES.get(status, "internal" if status >= 500 else "bad_request"),
                      reason or HTTPStatus(status).phrase, {k: v for k, v in plain.headers.items()
                                                            if k.lower() == "allow"})
        resp.force_close()
        return resp


class _JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class Runner(web.AppRunner):
    """web.AppRunner whose connections answer HTTP-level errors as JSON."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer  # the same object; only the handler class differs
        return server
