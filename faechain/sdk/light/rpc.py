"""Light blocks straight from a CometBFT node's RPC (`/commit`, `/validators`).

The node is not trusted for anything: what it serves is checked by
`faechain.sdk.light.cometbft`. This is only the transport, with the standard library,
so a member's verifier needs no node code and no HTTP package:

    source = CometRpc("http://127.0.0.1:26657")
    block, trace = verify_to(trusted, source.latest_height(), source, now_ms=...)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from faechain.core.errors import FaeError
from faechain.sdk.light.cometbft import LightBlock, signed_header_from_json, validator_set_from_json

PER_PAGE = 100  # CometBFT's largest page of /validators


class RpcUnavailable(FaeError):
    """The CometBFT RPC did not answer, or answered with an error (not a verification
    failure: nothing was received to verify)."""

    code = "unavailable"


class CometRpc:
    """A `fetch(height) -> LightBlock` over one node's CometBFT RPC."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, **params: str | int) -> Any:
        """The `result` of a JSON-RPC GET call; RpcUnavailable on any transport or RPC error."""
        query = urlencode({k: str(v) for k, v in params.items()})
        url = f"{self.url}/{method}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                body = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read())
            except ValueError:
                raise RpcUnavailable(f"{url}: HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise RpcUnavailable(f"{url}: {exc}") from None
        if not isinstance(body, dict) or "result" not in body:
            err = body.get("error") if isinstance(body, dict) else body
            raise RpcUnavailable(f"{url}: {err}")
        return body["result"]

    def commit(self, height: int) -> Any:
        return self.call("commit", height=height)

    def validators(self, height: int) -> list[Any]:
        """Every validator of `height`, all pages, in the set's order."""
        out: list[Any] = []
        page = 1
        while True:
            res = self.call("validators", height=height, page=page, per_page=PER_PAGE)
            out.extend(res["validators"])
            total = int(res["total"])
            if len(out) >= total or not res["validators"]:
                return out
            page += 1

    def light_block(self, height: int) -> LightBlock:
        """The (unverified) light block at `height`."""
        return LightBlock(signed_header_from_json(self.commit(height)),
                          validator_set_from_json(self.validators(height)))

    __call__ = light_block

    def latest_height(self) -> int:
        """The height of the newest block with a commit (`/status`'s latest block height)."""
        return int(self.call("status")["sync_info"]["latest_block_height"])
