"""Refusals a person can read (faechain.core.refusals, its catalog and the console's refusals.js).

* every refusal the code writes (a ContractError subclass, `Rejected(code, ...)`, a receipt the
  executor writes itself) with a literal or f-string message has an entry in the catalog, under
  its code — a new refusal without a translation fails here, naming file:line — and every entry
  still has a refusal in the code;
* each entry renders its own example in Chinese and English, amounts in 元 and no raw fen;
* `localise` never raises, whatever it is given (hypothesis);
* real refusals of an embedded demo chain read in 元 in both languages;
* the console's renderer (refusals.js, run by node) writes what Python writes, entry by entry;
* the SDK's `TransactionRefused` and `Receipt.localised`.
"""

from __future__ import annotations

import ast
import json
import pathlib
import re
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

import faechain.modules  # noqa: F401 - every contract module, so that every ContractError subclass is known
from faechain.contracts.errors import ContractError
from faechain.core import refusals
from faechain.core.errors import ENVELOPE_CODES
from faechain.core.refusals import catalog, china_time, localise, percent, shape, yuan
from faechain.sdk import Receipt, TransactionRefused

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCANNED = ("faechain/modules", "faechain/contracts", "faechain/chain")
RAW_FEN = re.compile(r"\d fen\b")


# -- the code's refusals and the catalog --------------------------------------------------------------
def error_codes() -> dict[str, str]:
    """Every ContractError subclass by class name -> its code."""
    out: dict[str, str] = {}
    todo = [ContractError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = cls.code
        todo.extend(cls.__subclasses__())
    return out


def messages(node: ast.expr):
    """The literal and f-string messages an argument can be (both arms of `a if c else b`)."""
    if isinstance(node, ast.IfExp):
        yield from messages(node.body)
        yield from messages(node.orelse)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value.replace("{", "{{").replace("}", "}}")
    elif isinstance(node, ast.JoinedStr):
        yield "".join(v.value.replace("{", "{{").replace("}", "}}") if isinstance(v, ast.Constant) else "{}"
                      for v in node.values)


def refusal_sites():
    """(file:line, code, message shape) of every refusal written in the scanned packages."""
    codes = error_codes()
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                args = list(node.args) + [k.value for k in node.keywords if k.arg == "message"]
                if name == "Rejected" and len(args) >= 2 and isinstance(args[0], ast.Constant):
                    code, message = args[0].value, args[1]
                elif name == "Receipt" and len(args) >= 5 and isinstance(args[3], ast.Constant):
                    code, message = args[3].value, args[4]  # a receipt the executor writes itself
                elif name in codes and args:
                    code, message = codes[name], args[0]
                else:
                    continue
                for text in messages(message):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", code, text


def test_every_refusal_in_the_code_has_a_catalog_entry_under_its_code():
    entries: dict[str, set[str]] = {}
    for t in catalog().templates:
        entries.setdefault(shape(t.en), set()).update(t.codes)
    sites = list(refusal_sites())
    assert len(sites) > 400  # the scan sees the modules' refusals (not an empty walk)
    missing = [f"{where}: [{code}] {text!r}" for where, code, text in sites
               if text and code not in entries.get(text, set()) and code != "ok"]
    assert missing == [], ("refusals without an entry in faechain/core/refusals_zh.json (add the English template "
                           "as the code writes it, its Chinese and the kinds of its holes):\n" + "\n".join(missing))


def test_every_catalog_entry_still_has_a_refusal_in_the_code():
    written = {(code, text) for _, code, text in refusal_sites()}
    stale = [f"[{code}] {t.en!r}" for t in catalog().templates for code in t.codes
             if (code, shape(t.en)) not in written]
    assert stale == [], "catalog entries no refusal in the code writes any more:\n" + "\n".join(stale)


def test_every_entry_is_well_formed():
    data = catalog().data
    kinds = set(data["patterns"]) | {"choice"}
    for entry in data["templates"]:
        holes = [p[0] for p in refusals.parse(entry["en"]) if isinstance(p, tuple)]
        zh_holes = [p[0] for p in refusals.parse(entry["zh"]) if isinstance(p, tuple)]
        assert sorted(holes) == sorted(entry["holes"]) == sorted(zh_holes), entry
        assert set(entry["holes"].values()) <= kinds, entry
        for name, kind in entry["holes"].items():
            assert kind != "choice" or entry["choices"][name], entry
        assert "fen" not in entry["zh"] and not re.search(r"[A-Za-z]{4,} [a-z]{4,} [a-z]{4,}", entry["zh"]), entry


def test_every_code_has_a_sentence_in_both_languages():
    codes = set(ENVELOPE_CODES) | set(error_codes().values()) | {"internal_error", "not_available_here"}
    for code in codes:
        zh, en = catalog().codes[code]
        assert zh and en and zh != en, code
    assert localise("no_such_code", "", "zh") == "操作被拒绝（no_such_code）"


# -- rendering -----------------------------------------------------------------------------------------
def test_amounts_rates_and_times():
    assert yuan(150_000_000, "zh") == "150.00 万元"
    assert yuan(150_000_000, "en") == "1,500,000.00 元"
    assert yuan(123_456_789, "zh") == "1,234,567.89 元"  # not exact in 万: written out
    assert yuan(12_000_000_000, "zh") == "1.20 亿元"
    assert yuan(12_345_000_000_00, "zh") == "123.45 亿元" and yuan(1_234_500_000_000_00, "zh") == "12,345.00 亿元"
    assert yuan(1, "zh") == "0.01 元" and yuan(-250, "en") == "-2.50 元" and yuan(0, "zh") == "0.00 元"
    assert percent(15_000) == "150%" and percent(125) == "1.25%" and percent(10) == "0.1%"
    assert china_time("2028-05-10T06:00:00Z", "zh") == "2028-05-10 14:00"
    assert china_time("2028-05-10T20:30:05Z", "en") == "2028-05-11 04:30:05 (UTC+8)"
    assert china_time("9999-12-31T23:00:00Z") == "9999-12-31T23:00:00Z"  # past the year 9999 in China: as it was


@pytest.mark.parametrize(("code", "message", "zh", "en"), [
    ("limit_exceeded", "amount 150000000 fen exceeds the piece's 100000000 fen",
     "金额 150.00 万元 超过本凭证的金额 100.00 万元", "amount 1,500,000.00 元 exceeds the piece's 1,000,000.00 元"),
    ("not_found", "voucher 'V-166-01' not found", "凭证 V-166-01 不存在", "voucher 'V-166-01' not found"),
    ("not_found", "voucher:V-166-01 not found", "凭证 V-166-01 不存在", "voucher:V-166-01 not found"),
    ("invalid_state", "voucher V-1 is ISSUED, not movable", "凭证 V-1 当前状态为待签收，不能转让或拆分",
     "voucher V-1 is ISSUED, not movable"),
    ("expired", "bidding on auction A-1 closed at 2028-05-10T06:00:00Z", "拍卖 A-1 已于 2028-05-10 14:00 截止出价",
     "bidding on auction A-1 closed at 2028-05-10 14:00 (UTC+8)"),
    ("limit_exceeded", "pooled 100000000000 fen is below 120000000000 fen (size x coverage 12000 bps)",
     "入池资产 10.00 亿元 低于所需的 12.00 亿元（发行规模 × 覆盖率 120%）",
     "pooled 1,000,000,000.00 元 is below 1,200,000,000.00 元 (size x coverage 120%)"),
    ("invalid_state", "plan P-1 is DRAFT; this needs FILED or APPROVED",
     "计划 P-1 当前状态为草稿；此操作要求状态为已备案或已批准", "plan P-1 is DRAFT; this needs FILED or APPROVED"),
    ("unauthorized", "a core enterprise cannot bid", "核心企业不能参与竞价", "a core enterprise cannot bid"),
    ("frozen", "voucher:V-1 is frozen by the regulator: court order", "凭证 V-1 已被监管机构冻结：court order",
     "voucher:V-1 is frozen by the regulator: court order"),
    ("bad_request", "price must be 1 .. 2^63-1 fen", "价格不得低于 0.01 元",
     "price must be at least 0.01 元, within the 64-bit range"),
    # no template: the code's sentence, then the message with its amounts in 元
    ("limit_exceeded", "a new rule: 250 fen too many", "超出限额：a new rule: 2.50 元 too many",
     "Limit exceeded: a new rule: 2.50 元 too many"),
])
def test_messages_read_in_both_languages(code, message, zh, en):
    assert localise(code, message, "zh") == zh
    assert localise(code, message, "zh-CN") == zh
    assert localise(code, message, "en") == en


EXAMPLES = {"money": "123456700", "bps": "12500", "count": "7", "time": "2028-05-10T06:00:00Z", "id": "X-1",
            "asset": "voucher:V-1", "repr": "'X-1'", "word": "ACTIVE", "list": "voucher, invoice",
            "text": "court order of 500 fen"}


def example(entry: dict) -> str:
    """The message `entry` stands for, its holes filled with a value of their kind."""
    out = []
    for part in refusals.parse(entry["en"]):
        if isinstance(part, tuple):
            kind = entry["holes"][part[0]]
            out.append(next(iter(entry["choices"][part[0]])) if kind == "choice" else EXAMPLES[kind])
        else:
            out.append(part)
    return "".join(out)


def samples() -> list[tuple[str, str]]:
    return [(entry["codes"][0], example(entry)) for entry in catalog().data["templates"]]


def test_each_entry_renders_its_own_example_without_raw_fen():
    for code, message in samples():
        found = catalog().match(code, message)
        assert found is not None, (code, message)
        zh, en = localise(code, message, "zh"), localise(code, message, "en")
        assert not RAW_FEN.search(zh) and not RAW_FEN.search(en), (message, zh, en)
        assert "{" not in zh.replace("{name, size", ""), zh
        if "123456700" in message:
            assert "1,234,567.00 元" in zh and "1,234,567.00 元" in en, (zh, en)


@given(st.text(max_size=300), st.text(max_size=300), st.sampled_from(["zh", "en", "zh-CN", "", "xx"]))
def test_localise_never_raises(code, message, lang):
    assert isinstance(localise(code, message, lang), str)


@given(st.sampled_from(sorted(catalog().codes)), st.integers(-10**20, 10**20), st.integers(0, 10**20),
       st.sampled_from(["zh", "en"]))
def test_amounts_in_any_refusal_read_in_yuan(code, a, b, lang):
    for message in (f"amount {a} fen exceeds the piece's {b} fen", f"whatever {a} fen and {b} fen"):
        text = localise(code, message, lang)
        assert yuan(a, lang) in text and yuan(b, lang) in text and not RAW_FEN.search(text), text


@given(st.from_type(object))
def test_localise_takes_anything(value):
    assert isinstance(localise(value, value, "zh"), str)


def test_a_long_message_is_answered_quickly():
    import time

    start = time.perf_counter()
    for _ in range(20):
        localise("invalid_state", "voucher " + "x is y, " * 300 + " is frozen", "zh")
    assert time.perf_counter() - start < 5  # generous: no template's regex backtracks without bound


# -- the console renders the same catalog alike -------------------------------------------------------------
NODE_HARNESS = """
globalThis.document = { documentElement: {} };
globalThis.localStorage = { getItem: () => "zh", setItem: () => {} };
const [, , assets, file] = process.argv;
const { renderRefusal } = await import(assets + "/refusals.js");
const fs = await import("node:fs");
const data = JSON.parse(fs.readFileSync(file, "utf8"));
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(([c, m, l]) => renderRefusal(data, c, m, l))));
"""


def test_refusals_js_renders_what_python_renders(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    cases = [[c, m, lang] for c, m in samples() for lang in ("zh", "en")]
    cases += [[c, m, lang] for c, m, _, _ in [
        ("limit_exceeded", "a new rule: 250 fen too many at 2028-05-10T06:00:00Z", "", ""),
        ("nope", "", "", ""), ("not_found", "x" * 2500 + " not found", "", ""),
        ("bad_request", "argument 'x' must be \"quoted\"", "", ""),
    ] for lang in ("zh", "en")]
    script = tmp_path / "harness.mjs"
    script.write_text(NODE_HARNESS)
    assets = (ROOT / "faechain/console/static").as_uri()
    done = subprocess.run([node, "--experimental-default-type=module", str(script), assets, str(refusals.CATALOG_FILE)],
                          input=json.dumps(cases), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    differ = [(c, js, localise(c[0], c[1], c[2])) for c, js in zip(cases, got, strict=True)
              if js != localise(c[0], c[1], c[2])]
    assert differ == []


# -- real refusals, from an embedded demo chain ---------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from faechain.devnet.demo import create_demo
    from tests.conftest import SUITE_NOW
    from tests.modules.conftest import open_demo_chain

    home = str(tmp_path_factory.mktemp("refusals"))
    create_demo(home, now=SUITE_NOW)
    c = open_demo_chain(home)
    yield c
    c.close()


def test_real_refusals_read_in_yuan(demo):
    from tests.modules.receivables.rcv_support import Rcv

    r = Rcv(demo)
    r.line(amount=100_000_000)  # 100 万元 for core
    vid = r.issue(100_000_000)
    too_much = r.rejected("supplier1", "transfer", "limit_exceeded", id=vid, to=r.o["supplier2"], amount=150_000_000)
    assert too_much.message == "amount 150000000 fen exceeds the piece's 100000000 fen"  # the receipt is untouched
    zh, en = localise(too_much.code, too_much.message, "zh"), localise(too_much.code, too_much.message, "en")
    assert "150.00 万元" in zh and "100.00 万元" in zh and zh.startswith("金额")
    assert "1,500,000.00 元" in en and "1,000,000.00 元" in en

    inv = r.invoice(50_000_001, seller="supplier1", buyer="core")
    over = r.rejected("core", "issue", "limit_exceeded", to=r.o["supplier1"], amount=50_000_001,
                      maturity=demo.now + 90 * 86_400, invoices=[[inv, 50_000_001]], contract_hash="ab" * 32)
    zh, en = localise(over.code, over.message, "zh"), localise(over.code, over.message, "en")
    assert "1,500,000.01 元" in zh and "100.00 万元" in zh and "授信额度" in zh, zh
    assert "1,500,000.01 元" in en and "1,000,000.00 元" in en, en
    for text in (zh, en):
        assert not RAW_FEN.search(text), text

    gone = r.rejected("supplier1", "accept", "not_found", id="V-NO-SUCH")
    assert localise(gone.code, gone.message, "zh") == "凭证 V-NO-SUCH 不存在"


# -- the SDK --------------------------------------------------------------------------------------------------
def test_sdk_refusal_reads_in_yuan_and_localises():
    message = "amount 150000000 fen exceeds the piece's 100000000 fen"
    receipt = Receipt(ok=False, code="limit_exceeded", message=message)
    with pytest.raises(TransactionRefused) as caught:
        receipt.raise_for_refusal()
    exc = caught.value
    assert exc.code == "limit_exceeded" and exc.receipt is receipt and exc.original == message
    assert exc.message == "amount 1,500,000.00 元 exceeds the piece's 1,000,000.00 元"
    assert str(exc) == exc.message + " [limit_exceeded]"
    assert exc.localised("zh") == "金额 150.00 万元 超过本凭证的金额 100.00 万元" == receipt.localised("zh")
    assert exc.localised("en") == exc.message
    assert receipt.message == message  # the receipt keeps what the chain wrote


def test_sdk_receipts_that_are_no_refusal():
    ok = Receipt(ok=True, code="ok")
    assert ok.raise_for_refusal() is ok and ok.localised("zh") == ""
    pending = Receipt(ok=False, code="pending")
    assert pending.raise_for_refusal() is pending


def test_sdk_api_error_localises():
    from faechain.sdk import ApiError

    err = ApiError("not_found", "voucher 'V-9' not found", 404)
    assert err.localised("zh") == "凭证 V-9 不存在" and err.message == "voucher 'V-9' not found"
