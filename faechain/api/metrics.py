"""Prometheus metrics in the text exposition format (version 0.0.4), written by hand."""

from __future__ import annotations

import collections

from faechain.chain.results import BlockResult

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self):
        self.txs_by_code: collections.Counter[str] = collections.Counter()
        self.http: collections.Counter[tuple[str, str, int]] = collections.Counter()
        self.vault: collections.Counter[tuple[str, str]] = collections.Counter()

    def on_block(self, result: BlockResult) -> None:
        for r in result.receipts:
            self.txs_by_code[r.code] += 1

    def on_request(self, method: str, route: str, status: int) -> None:
        self.http[(method, route, status)] += 1

    def on_vault(self, op: str, outcome: str) -> None:
        """A document vault request: `op` upload or download, `outcome` stored, exists,
        served, fetched_from_peer (a download this vault lacked, supplied by a vault peer),
        or the error code it was refused with."""
        self.vault[(op, outcome)] += 1

    def render(self, node, subscribers: int = 0) -> str:
        engine = node.engine
        out: list[str] = []

        def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float | int]]) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                out.append(f"{name}{labels} {value}")

        metric("fae_height", "gauge", "Height of the last committed block.", [("", node.app.height)])
        metric("fae_block_time_ms", "gauge", "Block time of the last committed block (unix ms).",
               [("", node.app.last_time)])
        metric("fae_blocks_total", "counter", "Blocks made by this node's engine since it started.",
               [("", engine.blocks_made)])
        out.append("# HELP fae_block_commit_seconds Time to finalize and commit a block.")
        out.append("# TYPE fae_block_commit_seconds summary")
        out.append(f"fae_block_commit_seconds_sum {engine.block_seconds:.6f}")
        out.append(f"fae_block_commit_seconds_count {engine.blocks_made}")
        metric("fae_txs_committed_total", "counter", "Transactions committed since start, by receipt code.",
               [(f'{{code="{_label(c)}"}}', n) for c, n in sorted(self.txs_by_code.items())])
        metric("fae_mempool_size", "gauge", "Transactions waiting in the mempool.",
               [("", engine.mempool_size)])
        metric("fae_event_subscribers", "gauge", "Open event-stream subscriptions.", [("", subscribers)])
        metric("fae_http_requests_total", "counter", "HTTP requests served, by method, route and status.",
               [(f'{{method="{_label(m)}",route="{_label(r)}",status="{s}"}}', n)
                for (m, r, s), n in sorted(self.http.items())])
        metric("fae_vault_requests_total", "counter",
               "Document vault uploads and downloads, by outcome (stored, exists, served, fetched_from_peer "
               "or the error code).",
               [(f'{{op="{_label(op)}",outcome="{_label(o)}"}}', n) for (op, o), n in sorted(self.vault.items())])
        return "\n".join(out) + "\n"
