"""What a signed transaction will do, in words (issue 19): the console's outcomes.js says it in a
sentence or two for every transaction method of every contract, in Chinese and English.

Run with the console's own modules under node (tests/console/outcomes_harness.mjs), no browser:

* completeness: every @tx method the contracts register (faechain.chain.application.load_contracts)
  has a sentence of its own, which reads cleanly in both languages from its arguments alone, and
  with every read refused — a new method without one fails here;
* figures: a transfer of 300,000.00 元 out of a 1,000,000.00 元 voucher says the member keeps
  700,000.00 元; large sums read in 万元/亿元 in Chinese (only where that is exact), in 元 in
  English; names, and dates in China time.

tests/e2e/test_console_outcomes.py shows the sentence for a real transfer on a demo chain.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from faechain.chain.application import load_contracts

ROOT = pathlib.Path(__file__).resolve().parents[2]
STATIC = ROOT / "faechain" / "console" / "static"
HARNESS = pathlib.Path(__file__).with_name("outcomes_harness.mjs")
NODE = shutil.which("node") or "/usr/bin/node"

ME = "91110000MA0000005X"  # supplier1 in the demo: Tianhe Materials
SUPPLIER2 = "91110000MA0000006X"
SUPPLIER2_NAME = "Hebei Fengrun Packaging Co., Ltd."
CORE = "91110000MA0000003X"
BANK = "91110000MA0000009X"
ORGS = [{"id": ME, "name": "Tianhe Materials Co., Ltd."},
        {"id": SUPPLIER2, "name": "Hebei Fengrun Packaging Co., Ltd."},
        {"id": CORE, "name": "Huaxin Chemical Group Co., Ltd."},
        {"id": BANK, "name": "Capital Commercial Bank"}]
NOW = 1_796_313_477  # the chain's clock in these cases (seconds)
# 2027-04-01 16:30 UTC is 2027-04-02 00:30 in China: a date shown in UTC would be a day early
MATURITY = int(datetime(2027, 4, 1, 16, 30, tzinfo=UTC).timestamp())
CHINA_DATE = (datetime.fromtimestamp(MATURITY, UTC) + timedelta(hours=8)).date().isoformat()
YUAN = 100

# a value for every argument name a transaction method takes (the completeness cases)
SAMPLE: dict[str, Any] = {
    "amount": 300_000 * YUAN, "price": 460_000 * YUAN, "principal": 1_350_000 * YUAN, "interest": 402_000 * YUAN,
    "reserve_price": 4_200_000 * YUAN, "list_price": 4_500_000 * YUAN, "margin": 450_000 * YUAN,
    "min_ticket": 1_000_000 * YUAN, "size": 5_000_000 * YUAN, "units": 200_000 * YUAN, "increment": 100_000 * YUAN,
    "step": 50_000 * YUAN, "rate_bps": 520, "coupon_bps": 420, "coverage_bps": 10_000, "fee_bps": 30,
    "term_days": 180, "report_every_days": 90, "days_past_due": 540, "pay_days": 10, "interval": 600,
    "extend_window": 120, "extend_by": 120, "item": 2,
    "maturity": MATURITY, "date": NOW - 86_400, "base_date": NOW - 30 * 86_400, "value_date": NOW,
    "expires": NOW + 365 * 86_400,
    "opens": NOW, "closes": NOW + 7 * 86_400, "start": NOW + 60, "end": NOW + 3_660, "reveal_end": NOW + 7_260,
    "due": NOW + 2 * 86_400,
    "to": SUPPLIER2, "buyer": CORE, "seller": ME, "core": CORE, "funder": BANK, "bidder": SUPPLIER2, "payer": CORE,
    "payee": ME, "org_id": SUPPLIER2, "intermediary": SUPPLIER2, "inspector": SUPPLIER2, "underwriter": BANK,
    "servicer": BANK, "settlement_bank": BANK, "registrar": BANK,
    "id": "V-7-0-2", "root": "V-5-0-1", "financing": "F-9-0-1", "auction": "A-42-0-1", "package": "PKG-35-0-1",
    "plan": "P-14-0-1", "product": "R-68-0-1", "transfer": "T-70-0-1", "proposal": "G-85-0-1",
    "loan": f"{BANK}/BHRB-TJ-2021-0417", "loan_no": "BHRB-TJ-2021-0417", "asset": "voucher:V-13-0-1",
    "vouchers": ["V-7-0-2", "V-8-0-2"], "invoices": [["011002600111-04512876", 300_000 * YUAN]],
    "loans": ["BHRB-TJ-2021-0417", "BHRB-TJ-2022-0093"], "documents": ["ab" * 32],
    "tranches": [{"name": "senior", "size": 2_560_000 * YUAN, "coupon_bps": 480, "priority": 1},
                 {"name": "sub", "size": 640_000 * YUAN, "coupon_bps": 0, "priority": 2}],
    "tranche": "senior", "code": "011002600900", "number": "00000042", "name": "Tianhe Receivables Plan 2026 No.1",
    "title": "quarterly report", "summary": "admit a new factor", "reason": "inquiry into contract JT-2026-088",
    "remarks": "in order", "description": "collected in court enforcement", "reg_no": "ZDW-2026-110105-000731",
    "approval_no": "BFAE-ARDFP-2026-0107", "bank_ref": "CCB-20261127-000118", "grade": "AA", "outlook": "stable",
    "kind": "collection", "mode": "english", "opinion": "qualified", "result": "compliant",
    "classification": "doubtful",
    "litigation": "judgment", "collateral": "mortgage: plant, Dongli District", "type": "FACTOR",
    "media_type": "application/pdf", "approve": True, "attributes": {"qualified": True},
    "hash": "cd" * 32, "doc_hash": "cd" * 32, "contract_hash": "ef" * 32, "report_hash": "12" * 32,
    "delivery_doc_hash": "34" * 32, "notice_hash": "56" * 32, "digest": "78" * 32, "supersedes": "9a" * 32,
    "person": "bc" * 32, "borrower": "de" * 32, "guarantors": ["f0" * 32], "cert_id": "01" * 32, "salt": "23" * 16,
    "ca": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n", "ca_signature": "45" * 32,
    "params": {"rule": "large_transfer", "value": 5_000_000 * YUAN},
    # the payment leg (payments contract, receivables' instalments, early payment, recourse)
    "payment": "C-120-0-1", "instruction": "I-118-0-3", "rail": BANK, "account": "6222-0200-0001-4421",
    "rail_ref": "ECNY-20261203-0042",
    "results": [["I-118-0-3", "PAID", "CCB-P-1"], ["I-118-0-4", "FAILED", "no account"]],
    "condition": {"kind": "confirmed", "by": CORE, "what": "goods received at Dongli warehouse"},
    "instalments": [[NOW + 30 * 86_400, 100_000 * YUAN], [MATURITY, 200_000 * YUAN]],
    "until": NOW + 10 * 86_400,
    "recourse": True, "rfq": "Q-130-0-1", "funders": [BANK, SUPPLIER2], "fee": 1_000 * YUAN,
    # the outside services' attestations (receivables: tax service, registry agent)
    "invoice": "011002600111-04512876", "status": "NORMAL", "reference": "SW-2026-000731", "creditor": BANK,
    "debtor": ME, "voucher": "V-7-0-2", "search_no": "ZDW-CX-2026-000731", "earlier": ["ZDW-2025-004412"],
}
# where one method's argument means something else than the same name elsewhere
OVERRIDES: dict[str, dict[str, Any]] = {
    "governance.propose": {"kind": "set_threshold"},
    "receivables.request_financing": {"kind": "ASSIGNMENT"},
    "receivables.attest_registration": {"kind": "PLEDGE"},
    "plans.pay": {"kind": "coupon"},
    "plans.schedule_disclosure": {"kind": "periodic"},
    "plans.register_document": {"kind": "report", "size": 48_213},
    "npa.register_document": {"kind": "valuation", "size": 48_213},
    "plans.unpool": {"asset": "voucher:V-7-0-2"},
    "npa.remove_loans": {"loans": ["BHRB-TJ-2022-0093"]},
}
CJK = re.compile(r"[\u4e00-\u9fff]")
BROKEN = ("{", "}", "out.", "undefined", "NaN", "null", "[object", "Invalid", "—")  # —: a value not known


def tx_methods() -> dict[str, list[str]]:
    """"contract.method" -> its argument names, for every @tx method of every registered contract."""
    return {f"{name}.{m}": list(meth.params) for name, cls in load_contracts().items()
            for m, meth in cls.methods.items() if meth.kind == "tx"}


def run(cases: list[dict[str, Any]], amounts: list[int] | None = None) -> dict[str, Any]:
    if not pathlib.Path(NODE).exists():
        pytest.skip("node is not installed")
    doc = {"static": str(STATIC), "orgs": ORGS, "cases": cases, "amounts": amounts or []}
    done = subprocess.run([NODE, str(HARNESS)], input=json.dumps(doc), capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def case(call: str, args: dict[str, Any], lang: str, reads: dict[str, Any] | None = None) -> dict[str, Any]:
    contract, method = call.split(".")
    return {"contract": contract, "method": method, "args": args, "lang": lang, "me": ME, "now": NOW, "reads": reads}


# -- completeness ----------------------------------------------------------------------------------
def test_every_transaction_method_has_a_sentence_of_its_own():
    methods = tx_methods()
    assert len(methods) > 80  # the registry really was read (89 when this was written)
    covered = set(run([])["covered"])
    missing = sorted(set(methods) - covered)
    assert not missing, f"outcomes.js has no sentence for {missing}: add one (outcomes_claims.js / outcomes_markets.js)"
    stale = sorted(covered - set(methods))
    assert not stale, f"outcomes.js has sentences for methods no contract has: {stale}"


@pytest.mark.parametrize("reads", [None, {}], ids=["args-only", "every-read-refused"])
def test_every_sentence_reads_cleanly_in_both_languages(reads):
    methods = tx_methods()
    calls = sorted(methods)
    cases = []
    for call in calls:
        args = {name: OVERRIDES.get(call, {}).get(name, SAMPLE[name]) for name in methods[call]}
        cases += [case(call, args, "zh", reads), case(call, args, "en", reads)]
    said = run(cases)["sentences"]
    problems = []
    for i, call in enumerate(calls):
        zh, en = said[2 * i], said[2 * i + 1]
        for lang, lines in (("zh", zh), ("en", en)):
            text = " ".join(lines)
            if not lines or text.startswith(("您将调用", "You call")):
                problems.append(f"{call} [{lang}]: only the generic sentence: {text}")
            bad = [b for b in BROKEN if b in text]
            if bad:
                problems.append(f"{call} [{lang}]: {bad} in {text!r}")
        if not CJK.search(" ".join(zh)):
            problems.append(f"{call} [zh]: no Chinese in {zh}")
        if CJK.search(" ".join(en).replace("元", "")):
            problems.append(f"{call} [en]: Chinese in {en}")
    assert not problems, "\n".join(problems)


# -- figures -----------------------------------------------------------------------------------------
def voucher(amount: int) -> dict[str, Any]:
    """receivables.voucher's answer for a piece ME holds."""
    return {"voucher": {"id": "V-7-0-2", "amount": amount, "holder": ME, "payer": CORE, "maturity": MATURITY,
                        "status": "ACTIVE"}, "root": {"id": "V-5-0-1", "live_count": 3}}


def test_a_transfer_says_who_receives_what_and_what_you_keep():
    reads = {"receivables.voucher": voucher(1_000_000 * YUAN)}
    args = {"id": "V-7-0-2", "to": SUPPLIER2, "amount": 300_000 * YUAN}
    zh, en = run([case("receivables.transfer", args, "zh", reads),
                  case("receivables.transfer", args, "en", reads)])["sentences"]
    assert zh[0] == "Hebei Fengrun Packaging Co., Ltd. 收到 V-7-0-2 中的 300,000.00 元；您保留 700,000.00 元。"
    assert en[0] == "Hebei Fengrun Packaging Co., Ltd. receives 300,000.00 元 of V-7-0-2; you keep 700,000.00 元."
    # who pays and when: the maturity as a China-time date
    assert "Huaxin Chemical Group Co., Ltd." in zh[1] and CHINA_DATE in zh[1] and CHINA_DATE in en[1]


def test_a_transfer_of_the_whole_piece_and_one_without_the_piece():
    whole = {"receivables.voucher": voucher(300_000 * YUAN)}
    args = {"id": "V-7-0-2", "to": SUPPLIER2, "amount": 300_000 * YUAN}
    all_zh, all_en, blind_zh, blind_en = run([
        case("receivables.transfer", args, "zh", whole), case("receivables.transfer", args, "en", whole),
        case("receivables.transfer", args, "zh", {}), case("receivables.transfer", args, "en", {}),
    ])["sentences"]
    assert "您不再持有该凭证" in all_zh[0] and "you no longer hold it" in all_en[0]
    # the voucher could not be read: the sentence says what the arguments say, no invented remainder
    assert blind_zh == [f"{SUPPLIER2_NAME} 收到 V-7-0-2 中的 300,000.00 元；余额（如有）仍由您持有。"]
    assert blind_en == [f"{SUPPLIER2_NAME} receives 300,000.00 元 of V-7-0-2; any remainder stays with you."]


def test_large_sums_read_in_wan_and_yi_in_chinese_only_where_exact():
    reads = {"receivables.voucher": voucher(10_000_000 * YUAN)}
    big = {"id": "V-7-0-2", "to": SUPPLIER2, "amount": 3_000_000 * YUAN}
    odd = {"id": "V-7-0-2", "to": SUPPLIER2, "amount": 123_456_789}  # 1,234,567.89 元: 万元 would round it
    credit = {"core": CORE, "amount": 500_000_000 * YUAN, "expires": MATURITY}
    said = run([case("receivables.transfer", big, "zh", reads), case("receivables.transfer", big, "en", reads),
                case("receivables.transfer", odd, "zh", reads), case("receivables.grant_credit", credit, "zh", {}),
                case("receivables.grant_credit", credit, "en", {})])["sentences"]
    assert said[0][0].endswith("收到 V-7-0-2 中的 300.00 万元；您保留 700.00 万元。"), said[0]
    assert "3,000,000.00 元" in said[1][0] and "7,000,000.00 元" in said[1][0] and "万" not in said[1][0]
    assert "1,234,567.89 元" in said[2][0] and "8,765,432.11 元" in said[2][0], said[2]
    assert f"5.00 亿元，有效期至 {CHINA_DATE}" in said[3][0], said[3]
    assert "500,000,000.00 元" in said[4][0], said[4]


def test_summary_rows_give_the_exact_amount_and_beside_it_wan_or_yi():
    rows = run([], amounts=[300_000 * YUAN, 3_000_000 * YUAN, 123_456_789, 500_000_000 * YUAN, 123_456_789_00])["rows"]
    assert rows["zh"] == {
        "30000000": "300,000.00 元",
        "300000000": "3,000,000.00 元（300.00 万元）",
        "123456789": "1,234,567.89 元（约 123.46 万元）",
        "50000000000": "500,000,000.00 元（5.00 亿元）",
        "12345678900": "123,456,789.00 元（约 1.23 亿元）",
    }
    assert rows["en"]["300000000"] == "3,000,000.00 元" and rows["en"]["50000000000"] == "500,000,000.00 元"


def test_financing_estimates_the_discount_as_the_contract_computes_it():
    reads = {"receivables.voucher": voucher(1_000_000 * YUAN)}
    args = {"id": "V-7-0-2", "funder": BANK, "amount": 300_000 * YUAN, "rate_bps": 520}
    zh, en = run([case("receivables.request_financing", args, "zh", reads),
                  case("receivables.request_financing", args, "en", reads)])["sentences"]
    days = -(-(MATURITY - NOW) // 86_400)  # whole days, rounded up (receivables.fund)
    discount = 300_000 * YUAN * 520 * days // (10_000 * 365)
    advance = 300_000 * YUAN - discount
    fmt = lambda fen: f"{fen // 100:,}.{fen % 100:02d} 元"  # noqa: E731
    assert f"共 {days} 天，贴息约 {fmt(discount)}，到账约 {fmt(advance)}" in zh[1], zh
    assert f"{days} days to maturity on {CHINA_DATE}" in en[1] and fmt(advance) in en[1], en
    assert "Capital Commercial Bank" in zh[0] and "5.20%" in en[0]


def test_a_vote_that_carries_says_the_proposal_executes():
    proposal = {"id": "G-85-0-1", "kind": "admit_org", "summary": "Admit Tianjin Binhai Commercial Factoring",
                "yes": 12, "need": 13, "params": {}}
    args = {"proposal": "G-85-0-1", "approve": True}
    zh, en = run([case("governance.vote", args, "zh", {"governance.proposal": proposal}),
                  case("governance.vote", args, "en", {"governance.proposal": proposal})])["sentences"]
    assert "投赞成票" in zh[0] and "Admit Tianjin Binhai" in zh[0]
    assert "提案将立即执行" in zh[1] and "13" in zh[1]
    assert en[1] == "This vote brings the yes votes to the 13 needed: the proposal executes at once."


def test_a_plan_subscription_names_the_plan_read_as_the_member():
    plan = {"plan": {"id": "P-14-0-1", "name": "Tianhe Materials Receivables Debt Financing Plan 2026 No.1",
                     "coupon_bps": 420, "term_days": 180}}
    args = {"plan": "P-14-0-1", "amount": 3_000_000 * YUAN}
    zh, en = run([case("plans.subscribe", args, "zh", {"plans.plan": plan}),
                  case("plans.subscribe", args, "en", {"plans.plan": plan})])["sentences"]
    name = plan["plan"]["name"]
    assert zh[0] == f"您认购计划 “{name}”（P-14-0-1），金额 300.00 万元。"
    assert "4.20%" in zh[1] and "180 天" in zh[1]
    assert en[0] == f"You subscribe 3,000,000.00 元 of plan “{name}” (P-14-0-1)."
