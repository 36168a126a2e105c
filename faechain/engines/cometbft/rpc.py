"""A small JSON-RPC client for CometBFT's RPC endpoint (standard library only).

Used by the engine to broadcast transactions (`broadcast_tx_async`, batched
into one HTTP request of many calls) and to fetch what a light client needs
(`commit`, `validators`), and by `fae localnet status`, the tests
and the benchmark to read `status`, `net_info`, `block` and `block_results`.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from faechain.core.errors import FaeError


class RpcError(FaeError):
    """CometBFT answered a call with a JSON-RPC error (or not at all).

    `code` is faechain's (`consensus_rpc`); CometBFT's own JSON-RPC error number is
    `rpc_code`."""

    code = "consensus_rpc"

    def __init__(self, message: str, data: str = "", rpc_code: int = 0):
        super().__init__(f"{message}: {data}" if data else message)
        self.message = message
        self.data = data
        self.rpc_code = rpc_code


class Unreachable(RpcError):
    """The RPC endpoint could not be reached."""

    code = "unavailable"


class RpcClient:
    """One keep-alive HTTP connection per thread to `url` (http://host:port)."""

    def __init__(self, url: str, timeout: float = 10.0):
        parts = urlsplit(url if "://" in url else "http://" + url)
        self.url = url
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 26657
        self.timeout = timeout
        self._local = threading.local()
        self._ids = itertools.count(1)

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _post(self, payload: Any) -> Any:
        body = json.dumps(payload, separators=(",", ":")).encode()
        for attempt in (0, 1):
            conn = self._conn()
            try:
                conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.BadStatusLine) as exc:
                self.close()
                if attempt:
                    raise Unreachable(f"CometBFT RPC at {self.url} closed the connection", str(exc)) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise Unreachable(f"cannot reach CometBFT RPC at {self.url}", str(exc)) from None
        try:
            return json.loads(data)
        except ValueError:
            raise RpcError(f"CometBFT RPC answered HTTP {resp.status} with non-JSON",
                           data[:200].decode("latin-1")) from None

    def call(self, method: str, **params: Any) -> Any:
        doc = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        if not isinstance(doc, dict):
            raise RpcError("unexpected RPC answer", str(doc)[:200])
        if doc.get("error"):
            err = doc["error"]
            raise RpcError(err.get("message", "error"), str(err.get("data", "")), rpc_code=err.get("code", 0))
        return doc.get("result")

    def batch(self, calls: list[tuple[str, dict]]) -> list[tuple[Any, RpcError | None]]:
        """Many calls in one HTTP request: [(result, None) or (None, error)] in call order."""
        if not calls:
            return []
        first = next(self._ids)
        payload = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        for _ in range(len(calls) - 1):
            next(self._ids)
        doc = self._post(payload)
        if isinstance(doc, dict) and doc.get("id") is not None:
            doc = [doc]  # CometBFT answers a batch of one with a bare object
        if isinstance(doc, dict):  # the whole batch was refused (e.g. too many calls)
            err = doc.get("error") or {}
            e = RpcError(err.get("message", "batch refused"), str(err.get("data", "")), rpc_code=err.get("code", 0))
            return [(None, e)] * len(calls)
        by_id = {item.get("id"): item for item in doc if isinstance(item, dict)}
        out: list[tuple[Any, RpcError | None]] = []
        for i in range(len(calls)):
            item = by_id.get(first + i)
            if item is None:
                out.append((None, RpcError("no answer in the batch")))
            elif item.get("error"):
                err = item["error"]
                out.append((None, RpcError(err.get("message", "error"), str(err.get("data", "")),
                                           rpc_code=err.get("code", 0))))
            else:
                out.append((item.get("result"), None))
        return out

    # -- conveniences ----------------------------------------------------------------------
    def status(self) -> dict:
        return self.call("status")

    def height(self) -> int:
        return int(self.status()["sync_info"]["latest_block_height"])

    def commit(self, height: int) -> dict:
        """CometBFT's `/commit` at `height`: {"signed_header": {"header", "commit"}, "canonical"}."""
        result: dict = self.call("commit", height=str(height))
        return result

    def validators(self, height: int, per_page: int = 100) -> dict:
        """CometBFT's `/validators` at `height` with every page merged into one answer of the
        same shape: {"block_height", "validators": [...all...], "count", "total"}."""
        page, merged = 1, None
        while True:
            result = self.call("validators", height=str(height), page=str(page), per_page=str(per_page))
            if merged is None:
                merged = dict(result)
                merged["validators"] = list(result.get("validators") or [])
            else:
                merged["validators"].extend(result.get("validators") or [])
            total = int(result.get("total", 0))
            if len(merged["validators"]) >= total or not result.get("validators"):
                break
            page += 1
        merged["count"] = str(len(merged["validators"]))
        return merged

    def broadcast_async_calls(self, txs: list[bytes]) -> list[tuple[str, dict]]:
        return [("broadcast_tx_async", {"tx": base64.b64encode(tx).decode()}) for tx in txs]
