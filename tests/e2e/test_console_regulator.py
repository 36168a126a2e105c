"""The regulator's desk for people, not engineers (issue 19, item 6), in a real browser, in
Chinese and in English, on the seeded demo (its alerts: a payer's concentration in a product,
an overdue voucher, an attempt to reuse an invoice):

- an alert's evidence is labelled in the member's language, amounts in 元 (no raw fen on the
  page), dates in China time, organisations by name beside their code, assets and
  transactions linked to the explorer, the raw JSON one click away;
- the rules show their thresholds in 元, % and days, and the threshold form asks in those
  units, converts exactly to fen or basis points (integer arithmetic) and refuses bad input
  with a message before anything is signed;
- the filters (severity, rule, status, a search box for an asset or an organisation) and the
  figures at a glance (the trend chart counts every alert);
- the audit export downloaded from the console verifies against the node's blocks.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import io
import re

import pytest
from test_console_browser import Console, browser, node  # noqa: F401 - module fixtures

from faechain.devnet.demo import demo_org_ids
from faechain.identity.wallet import Identity
from faechain.ledger import audit, audit_columns
from faechain.sdk import Client

pytestmark = pytest.mark.browser

ORG = demo_org_ids()
YUAN = r"(?:¥\s?)?{}(?: ?(?:元|yuan|CNY))?"  # an amount as fmt.yuan writes it (its unit may follow the language)
LABELS = {  # what the member reads, per language
    "zh": {"underlying": "底层资产合计", "share": "占比", "rule": "付款方集中度", "raw": "原始数据（JSON）",
           "critical": "严重", "fen": "1234 分", "bps": "1250 个基点", "decimals": "两位小数", "nan": "不是有效数字",
           "negative": "不能为负数", "empty": "请填写新阈值", "too_big": "最多 100%"},
    "en": {"underlying": "Underlying in total", "share": "Share", "rule": "payer concentration",
           "raw": "Raw data (JSON)", "critical": "critical", "fen": "1234 fen", "bps": "1250 basis points",
           "decimals": "at most 2 decimals", "nan": "is not a number", "negative": "cannot be negative",
           "empty": "Enter the new threshold", "too_big": "at most 100%"},
}


def alerts(n) -> list[dict]:
    with Client(n.url, identity=Identity.load(n.home, "regulator")) as c:
        return c.query("supervision", "alerts", limit=1000)


def open_proposals(n) -> list[dict]:
    with Client(n.url, identity=Identity.load(n.home, "regulator")) as c:
        return [p for p in c.query("governance", "proposals", status="OPEN") if p["kind"] == "set_threshold"]


def china_date(seconds: int) -> str:
    return f"{_dt.datetime.fromtimestamp(seconds + 8 * 3600, tz=_dt.UTC):%Y-%m-%d}"


def visible_rows(page) -> list[str]:
    return page.eval_on_selector_all("#alerts tr", "trs => trs.filter(t => !t.hidden).map(t => t.dataset.rule)")


@pytest.fixture
def reg(browser, node):  # noqa: F811 - fixtures
    tabs: list[Console] = []

    def open_tab(lang: str) -> Console:
        c = Console(browser, node, "regulator", lang)
        tabs.append(c)
        c.go("#/v/regulator")
        c.page.wait_for_selector("#alerts tr")
        return c

    yield open_tab
    for c in tabs:
        c.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_alert_evidence_reads_in_words(node, reg, lang):  # noqa: F811 - fixtures
    words = LABELS[lang]
    page = reg(lang).page
    by_rule = {a["rule"]: a for a in alerts(node)}
    conc, overdue = by_rule["payer_concentration"], by_rule["voucher_overdue"]
    row = f"#alerts tr[data-n='{conc['n']}']"
    page.click(f"{row} details.evidence-box > summary")
    dd = lambda field: page.inner_text(f"{row} dd[data-field='{field}']")  # noqa: E731
    ev = conc["evidence"]
    assert re.fullmatch(YUAN.format(f"{ev['underlying'] // 100:,}.{ev['underlying'] % 100:02d}"), dd("underlying"))
    assert dd("share_bps") == f"{ev['share_bps'] / 100:.2f}%"
    assert f"({ORG['core']})" in dd("payer") and dd("payer") != f"({ORG['core']})"
    assert page.get_attribute(f"{row} dd[data-field='payer'] a", "href") == f"#/explorer/org/{ORG['core']}"
    assert page.get_attribute(f"{row} dd[data-field='product'] a", "href") == f"#/explorer/product/{ev['product']}"
    assert page.get_attribute(f"{row} dd[data-field='tx'] a", "href") == f"#/explorer/tx/{ev['tx']}"
    labels = page.eval_on_selector_all(f"{row} dt", "els => els.map(e => e.textContent)")
    assert words["underlying"] in labels and words["share"] in labels, labels
    assert words["rule"].lower() in page.inner_text(row).lower()
    # the overdue voucher: its amount in 元, its maturity as a China date
    orow = f"#alerts tr[data-n='{overdue['n']}']"
    page.click(f"{orow} details.evidence-box > summary")
    oev = overdue["evidence"]
    amount = page.inner_text(f"{orow} dd[data-field='amount']")
    assert re.fullmatch(YUAN.format(f"{oev['amount'] // 100:,}.00"), amount), amount
    assert page.inner_text(f"{orow} dd[data-field='maturity']") == china_date(oev["maturity"])
    assert f"{oev['amount'] // 100:,}.00" in page.inner_text(f"{orow} .summary")
    # no raw fen (nor a raw threshold) anywhere the member reads
    shown = page.inner_text("main")
    for raw in (ev["underlying"], oev["amount"], 500_000_000, 100_000_000):
        assert not re.search(rf"(?<![\d,.]){raw}(?![\d,])", shown), raw
    assert '"underlying"' not in shown  # the raw JSON is not drawn until asked for
    page.click(f"{row} details.raw > summary")
    assert f'"underlying": {ev["underlying"]}' in page.inner_text(f"{row} details.raw pre")
    # the rules in words and units
    large = page.inner_text("#rules tr[data-rule='large_transfer'] [data-rule-value]")
    assert re.fullmatch(YUAN.format("5,000,000.00"), large), large
    assert page.inner_text("#rules tr[data-rule='payer_concentration'] [data-rule-value]") == "50.00%"
    assert re.fullmatch(r"183 (天|days)", page.inner_text("#rules tr[data-rule='long_tenor'] [data-rule-value]"))


def test_filters_and_the_figures_at_a_glance(node, reg):  # noqa: F811 - fixtures
    page = reg("zh").page
    every = alerts(node)
    assert int(page.inner_text("#kpi-total strong")) == len(every)
    assert int(page.inner_text("#kpi-critical strong")) == sum(a["severity"] == "critical" for a in every)
    assert int(page.get_attribute("#trend svg", "data-total")) == len(every)  # the demo's alerts are this month's
    counted = page.eval_on_selector_all("#by-rule g.bar", "gs => gs.map(g => [g.dataset.label, +g.dataset.count])")
    assert dict(counted) == {r: sum(a["rule"] == r for a in every) for r in {a["rule"] for a in every}}
    assert len(visible_rows(page)) == len(every)
    page.select_option("#filter-severity", "critical")
    assert set(visible_rows(page)) == {"invoice_reuse"}
    page.select_option("#filter-severity", "")
    page.select_option("#filter-rule", "voucher_overdue")
    assert visible_rows(page) == ["voucher_overdue"]
    page.click("#filter-clear")
    root = next(a for a in every if a["rule"] == "voucher_overdue")["evidence"]["root"]
    page.fill("#filter-search", root)  # an asset id
    assert visible_rows(page) == ["voucher_overdue"]
    product = next(a for a in every if a["rule"] == "payer_concentration")["evidence"]["product"]
    page.fill("#filter-search", product.lower())
    assert visible_rows(page) == ["payer_concentration"]
    page.fill("#filter-search", "no such thing 0")
    assert visible_rows(page) == [] and page.is_visible("#alerts-none")
    page.fill("#filter-search", "")
    page.select_option("#filter-status", "open")
    assert len(visible_rows(page)) == sum(1 for a in every)  # nothing frozen or handled since in the demo


PARSE_CASES = [  # (unit, typed, contract value or the error's key)
    ("yuan", "12.34", 1234), ("yuan", "1,000,000", 100_000_000), ("yuan", "0.1", 10),
    ("yuan", "5000000.00 元", 500_000_000),
    ("yuan", "0.07", 7), ("yuan", "90071992547409.91", 9_007_199_254_740_991),
    ("yuan", "90071992547409.92", "too_big"), ("yuan", "12.345", "decimals_yuan"), ("yuan", "1e5", "not_number"),
    ("yuan", "-1", "negative"), ("yuan", " ", "empty"), ("yuan", "12.3.4", "not_number"),
    ("percent", "12.5", 1250), ("percent", "50%", 5000), ("percent", "0.01", 1), ("percent", "100", 10_000),
    ("percent", "100.01", "too_big"), ("percent", "1.005", "decimals_percent"),
    ("days", "183", 183), ("days", "1.5", "whole"), ("days", "36501", "too_big"),
    ("count", "200", 200), ("switch", "0", 0), ("switch", "2", "whole"),
]


def test_threshold_conversions_are_exact(reg):
    page = reg("en").page
    got = page.evaluate("""async (cases) => {
      const m = await import('/console/assets/views/regulator.js');
      return cases.map(([unit, text]) => m.parseThreshold(unit, text));
    }""", PARSE_CASES)
    assert [r.get("code", r.get("value")) for r in got] == [want for _, _, want in PARSE_CASES]
    assert all(r["error"] and "reg.err" not in r["error"] for r in got if "code" in r)  # a sentence, not a key


@pytest.mark.parametrize("lang, rule, typed, value", [("zh", "large_transfer", "12.34", 1234),
                                                      ("en", "payer_concentration", "12.5", 1250)])
def test_the_threshold_form_converts_and_refuses_bad_input(node, reg, lang, rule, typed, value):  # noqa: F811 - fixtures
    words = LABELS[lang]
    c = reg(lang)
    page = c.page
    before = open_proposals(node)
    page.select_option("#threshold-rule", rule)
    bad = [("12.345" if rule == "large_transfer" else "1.005", words["decimals"]), ("abc", words["nan"]),
           ("-5", words["negative"]), ("", words["empty"])]
    if rule == "payer_concentration":
        bad.append(("101", words["too_big"]))
    for text, says in bad:
        page.fill("#threshold-value", text)
        page.click("#threshold-submit")
        assert says in page.inner_text("#threshold-error"), (text, page.inner_text("#threshold-error"))
        assert page.query_selector("#signed-method") is None  # refused before anything was signed
    assert open_proposals(node) == before
    page.fill("#threshold-value", typed)
    assert words["fen" if rule == "large_transfer" else "bps"] in page.inner_text("#threshold-preview")
    page.click("#threshold-submit")
    c.confirm("propose")
    made = [p for p in open_proposals(node) if p not in before]
    assert [(p["params"]["rule"], p["params"]["value"]) for p in made] == [(rule, value)]
    assert typed.split(".")[0] in made[0]["summary"]  # the proposal says it in 元 or %, for the voters
    page.wait_for_selector(f"#rules tr[data-rule='{rule}'] a[title='{made[0]['id']}']")  # shown as being voted on


def test_the_audit_export_downloads_and_verifies(node, reg):  # noqa: F811 - fixtures
    page = reg("zh").page
    page.select_option("#audit-export-format", "xlsx")
    with page.expect_download() as got:
        page.click("#audit-export-submit")
    data = open(got.value.path(), "rb").read()
    assert got.value.suggested_filename.endswith(".xlsx")
    report = audit.verify_export(node.store, data, node.genesis)
    assert report.ok, report
    exp = audit.read_export(data)
    assert exp.meta["exported_by"] == ORG["regulator"]
    assert all(r["amount_yuan"] == "" or float(r["amount_yuan"]) * 100 == pytest.approx(int(r["amount_fen"]))
               for r in exp.rows)
    if importlib.util.find_spec("openpyxl"):
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        assert [c.value for c in sheet[1]] == list(audit_columns.HEADERS)
        assert isinstance(sheet["C2"].value, _dt.datetime)
