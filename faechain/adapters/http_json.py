"""A small JSON-over-HTTP caller for the adapters (standard library only).

A real adapter may use any client it likes; this one shows the one rule that matters to
the attestor: an answer the outside system could not give now (unreachable, a timeout, a
5xx) raises `ServiceUnavailable`, which the attestor retries; a definite answer (200, 404,
a 4xx with a reason) is returned for the adapter to turn into a record.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from faechain.adapters.interfaces import ServiceUnavailable


def segment(text: str) -> str:
    """`text` as one path segment (an account or a number with a slash stays one segment)."""
    return quote(text, safe="")


class JsonHttp:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """(HTTP status, decoded JSON answer) of a definite answer; ServiceUnavailable otherwise."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (OSError, urllib.error.URLError) as exc:
            raise ServiceUnavailable(f"{method} {self.url}{path}: {exc}") from None
        if status >= 500:
            raise ServiceUnavailable(f"{method} {self.url}{path}: HTTP {status}")
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            raise ServiceUnavailable(f"{method} {self.url}{path}: HTTP {status} with an answer that is not JSON") \
                from None

    def ok(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The answer of a call that must succeed (2xx); ServiceUnavailable for anything else,
        naming the service's message, so the attestor retries and the operator sees why."""
        status, doc = self.call(method, path, body)
        if status >= 300:
            message = doc.get("message") if isinstance(doc, dict) else doc
            raise ServiceUnavailable(f"{method} {self.url}{path}: HTTP {status}: {message}")
        return doc
