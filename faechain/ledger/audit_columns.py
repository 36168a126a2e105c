"""The audit export's columns, for people and for machines (format `faechain-audit/2`).

One row per record (`faechain.ledger.audit.record`). Each column has a machine key and a
bilingual header, "中文 / English", and the order below. The columns a person reads come
first; the machine columns (hashes, canonical JSON, unix milliseconds) follow, so a row can
still be checked byte for byte against the chain (`faechain.ledger.audit.verify_export`
recomputes every column, the readable ones included, from the node's own blocks).

    height, index          the block and the record's place in it
    block_time             China time (UTC+8), "YYYY-MM-DD HH:MM:SS" (XLSX: a date cell)
    kind                   "tx" (a signed transaction) or "end_block" (the block's end-of-block events)
    signer_org, signer_name
                           the signing organisation's USCC code and its registered name
    contract, method       what was called
    amount_yuan            the record's main amount in 元, two decimals, no grouping ("1234.56";
                           XLSX: a number shown as #,##0.00)
    amount_fen             the same amount in fen, as the chain keeps it (an integer)
    amount_field           where the amount comes from: `args.<name>` (the call's argument) or
                           `<EventType>.<name>` (an event, when the arguments carry none)
    parties                every other organisation the record names: "name (code); ..."
    code, message          the receipt's outcome ("ok" or a refusal code) and its message
    tx_hash, block_hash, signer_cert, args (canonical JSON), args_sha256, events (canonical JSON),
    block_time_ms          the machine columns of format 1, unchanged

Everything here is a pure function of a record and of organisation names: names are read as
of the export's last height (`OrgNames`), so an export and its verification agree.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from typing import Any

FORMAT = "faechain-audit/2"
CHINA_OFFSET_S = 8 * 3600  # China Standard Time, UTC+8, no daylight saving
ZONE = "UTC+8"

# (key, header) in file order
SPEC: tuple[tuple[str, str], ...] = (
    ("height", "区块高度 / Height"),
    ("index", "块内序号 / Index"),
    ("block_time", "区块时间（北京时间 UTC+8）/ Block time (China, UTC+8)"),
    ("kind", "记录类型 / Kind"),
    ("signer_org", "签名机构代码 / Signer code"),
    ("signer_name", "签名机构名称 / Signer name"),
    ("contract", "合约 / Contract"),
    ("method", "方法 / Method"),
    ("amount_yuan", "金额（元）/ Amount (yuan)"),
    ("amount_fen", "金额（分）/ Amount (fen)"),
    ("amount_field", "金额来源 / Amount of"),
    ("parties", "涉及机构 / Organisations named"),
    ("code", "结果代码 / Result code"),
    ("message", "结果说明 / Message"),
    ("tx_hash", "交易哈希 / Tx hash"),
    ("block_hash", "区块哈希 / Block hash"),
    ("signer_cert", "签名证书 / Signer certificate"),
    ("args", "交易参数（JSON）/ Arguments (JSON)"),
    ("args_sha256", "参数 SHA-256 / Arguments SHA-256"),
    ("events", "事件（JSON）/ Events (JSON)"),
    ("block_time_ms", "区块时间（Unix 毫秒）/ Block time (Unix ms)"),
)
COLUMNS = tuple(k for k, _ in SPEC)
HEADERS = tuple(h for _, h in SPEC)
INT_COLUMNS = frozenset({"height", "index", "block_time_ms", "amount_fen"})
NUMBER_COLUMNS = INT_COLUMNS | {"amount_yuan"}  # never guarded against formulas: digits only
READABLE = ("block_time", "signer_name", "amount_yuan", "amount_fen", "amount_field", "parties")
WIDTHS = [9, 7, 20, 9, 21, 24, 12, 18, 16, 14, 16, 40, 14, 30, 20, 20, 20, 60, 20, 60, 15]

# the manifest's (meta's) keys with their bilingual labels, in order
META_LABELS: dict[str, str] = {
    "format": "格式 / Format",
    "chain_id": "链 / Chain",
    "ref": "筛选：对象 / Filter: reference",
    "org": "筛选：签名机构 / Filter: signer",
    "org_name": "签名机构名称 / Signer name",
    "from_height": "起始高度 / From height",
    "to_height": "截止高度 / To height",
    "to_block_hash": "截止区块哈希 / Last block hash",
    "to_app_hash": "截止状态哈希 / Last app hash",
    "to_block_time": "截止区块时间（北京时间）/ Last block time (China, UTC+8)",
    "to_block_time_ms": "截止区块时间（Unix 毫秒）/ Last block time (Unix ms)",
    "time_zone": "时区 / Time zone",
    "exported_by": "导出机构代码 / Exported by (code)",
    "exported_by_name": "导出机构 / Exported by",
    "exported_at": "导出时间（北京时间）/ Exported at (China, UTC+8)",
    "rows": "记录条数 / Rows",
    "data_file": "数据文件 / Data file",
    "data_sha256": "数据文件 SHA-256 / Data file SHA-256",
}
META_HEADER = ("键 / Key", "项目 / Item", "值 / Value")

# money: what a call's arguments name an amount by (first found wins), then an event's
ARG_MONEY = ("amount", "price", "principal", "list_price", "reserve_price", "margin", "limit", "min_ticket")
EVENT_MONEY = ("amount", "price", "principal", "size", "balance", "advance", "reserve_price", "list_price", "margin")
USCC = re.compile(r"[0-9A-Z]{18}")
MAX_PARTIES = 20
ORG_PREFIX = b"membership/org/"  # the membership module's organisation records (name, type, ...)

Names = Callable[[str], str]  # org code -> registered name ("" if none)


def china_time(ms: int) -> str:
    """Unix milliseconds as China time to the second: "2026-11-27 14:03:05"."""
    dt = _dt.datetime.fromtimestamp(ms // 1000 + CHINA_OFFSET_S, tz=_dt.UTC)
    return f"{dt:%Y-%m-%d %H:%M:%S}"


def yuan_text(fen: int) -> str:
    """Fen as 元 with two decimals, exactly (integer arithmetic): 123456 -> "1234.56"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _money(attrs: Any, keys: tuple[str, ...]) -> tuple[str, int] | None:
    if type(attrs) is not dict:
        return None
    for k in keys:
        v = attrs.get(k)
        if type(v) is int:
            return k, v
    return None


def main_amount(rec: dict[str, Any]) -> tuple[str, int] | None:
    """(where from, fen) of the record's main amount: the call's argument, else the first
    event that carries one; None when the record names no amount."""
    if rec["kind"] == "tx":
        found = _money(rec["args"], ARG_MONEY)
        if found:
            return f"args.{found[0]}", found[1]
    for ev in rec["events"] if type(rec["events"]) is list else []:
        found = _money(ev.get("attrs") if type(ev) is dict else None, EVENT_MONEY)
        if found:
            return f"{ev.get('type', '')}.{found[0]}", found[1]
    return None


def _codes(value: Any, out: list[str]) -> None:
    """Organisation codes in a value (strings, lists and dicts walked in order)."""
    if len(out) >= MAX_PARTIES:
        return
    if type(value) is str:
        if USCC.fullmatch(value) and value not in out:
            out.append(value)
    elif type(value) is list:
        for v in value:
            _codes(v, out)
    elif type(value) is dict:
        for k in sorted(value):
            _codes(value[k], out)


def named(code: str, names: Names) -> str:
    """"name (code)", or the code alone when it names no registered organisation."""
    name = names(code)
    return f"{name} ({code})" if name else code


def parties(rec: dict[str, Any], names: Names) -> str:
    """Every organisation the record names beside its signer: "name (code); ..."."""
    found: list[str] = []
    _codes(rec["args"], found)
    for ev in rec["events"] if type(rec["events"]) is list else []:
        _codes(ev.get("attrs") if type(ev) is dict else None, found)
    return "; ".join(named(c, names) for c in found if c != rec["signer_org"])


def readable(rec: dict[str, Any], names: Names) -> dict[str, Any]:
    """The columns a person reads (READABLE), from a record and organisation names."""
    amount = main_amount(rec)
    return {
        "block_time": china_time(rec["block_time"]),
        "signer_name": names(rec["signer_org"]) if rec["signer_org"] else "",
        "amount_yuan": yuan_text(amount[1]) if amount else "",
        "amount_fen": amount[1] if amount else "",
        "amount_field": amount[0] if amount else "",
        "parties": parties(rec, names),
    }


class OrgNames:
    """Registered organisation names as of one height (the export's last), cached: a name is
    set when an organisation is admitted and never changes."""

    def __init__(self, lookup: Callable[[bytes, int], bytes | None], height: int,
                 decode: Callable[[bytes], Any]) -> None:
        self.lookup, self.height, self.decode = lookup, height, decode
        self.cache: dict[str, str] = {}

    def __call__(self, code: str) -> str:
        if not code:
            return ""
        if code not in self.cache:
            raw = self.lookup(ORG_PREFIX + code.encode(), self.height)
            name = ""
            if raw is not None:
                try:
                    rec = self.decode(raw)
                    name = rec.get("name", "") if type(rec) is dict else ""
                except Exception:  # noqa: BLE001 - a record this reader cannot decode names no one
                    name = ""
            self.cache[code] = name if type(name) is str else ""
        return self.cache[code]


def meta_label(key: str) -> str:
    return META_LABELS.get(key, key)
