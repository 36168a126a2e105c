"""`fae` prints a refused transaction in the reader's language: Chinese when LC_ALL, LC_MESSAGES
or LANG (the first set) starts with "zh", else English; amounts in 元 either way, the code in
brackets for scripts, the receipt's JSON on stdout untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from faechain.cli.common import describe_error, refusal_text, refused_line
from faechain.core.refusals import language_from_env

MESSAGE = "amount 150000000 fen exceeds the piece's 100000000 fen"


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en"), ({"LANG": "C"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"), ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN", "LANG": "en_US"}, "zh"), ({"LC_ALL": "", "LANG": "zh_CN"}, "zh"),
])
def test_the_language_comes_from_the_environment(env, lang):
    assert language_from_env(env) == lang


def test_a_refused_transaction_line_in_both_languages():
    assert refused_line("transaction", "limit_exceeded", MESSAGE, {"LANG": "zh_CN.UTF-8"}) == \
        "fae: 交易被拒绝 [limit_exceeded]：金额 150.00 万元 超过本凭证的金额 100.00 万元"
    assert refused_line("transaction", "limit_exceeded", MESSAGE, {"LANG": "en_US.UTF-8"}) == \
        "fae: transaction rejected [limit_exceeded]: amount 1,500,000.00 元 exceeds the piece's 1,000,000.00 元"
    assert refused_line("dry_run", "limit_exceeded", MESSAGE, {}).startswith(
        "fae: transaction would be rejected (dry run) [limit_exceeded]: amount 1,500,000.00 元")
    assert refused_line("revocation", "duplicate", "certificate is already revoked", {"LANG": "zh_CN"}) == \
        "fae: 吊销被拒绝 [duplicate]：证书已被吊销"
    # a message no template knows: in English as it was (amounts in 元), in Chinese after the code's sentence
    assert refused_line("transaction", "limit_exceeded", "new: 5 fen", {}) == \
        "fae: transaction rejected [limit_exceeded]: new: 0.05 元"
    assert refused_line("transaction", "limit_exceeded", "new: 5 fen", {"LANG": "zh_CN"}) == \
        "fae: 交易被拒绝 [limit_exceeded]：超出限额：new: 0.05 元"
    assert refused_line("transaction", "replay", "", {}) == "fae: transaction rejected [replay]"


def test_a_node_error_keeps_its_code_first():
    from faechain.sdk import ApiError

    assert describe_error(ApiError("not_found", "voucher 'V-9' not found", 404)) == "not_found: voucher 'V-9' not found"
    assert refusal_text("not_found", "voucher 'V-9' not found", {"LANG": "zh_CN"}) == "凭证 V-9 不存在"


# -- a real refusal, through `fae tx` --------------------------------------------------------------------
@pytest.fixture(scope="module")
def node_with_a_voucher(tmp_path_factory):
    """A demo node in-process, and a voucher of 100 万元 held by supplier1."""
    from faechain.devnet.demo import create_demo
    from faechain.node.testing import NodeThread, free_port
    from faechain.sdk import Client, Identity

    home = str(tmp_path_factory.mktemp("clirefusals"))
    create_demo(home, free_port())
    nt = NodeThread(home, anonymous_reads=False)
    nt.start()
    try:
        ids = {n: Identity.load(home, n) for n in ("bank", "core", "supplier1", "supplier2")}
        day, amount, doc = 86_400, 100_000_000, "ab" * 32
        with Client(nt.node.url) as c:
            now = c.now_ms() // 1000
            c.submit(ids["bank"], "receivables", "grant_credit", core=ids["core"].org_id, amount=10**12,
                     expires=now + 400 * day).raise_for_refusal()
            c.submit(ids["supplier1"], "receivables", "register_invoice", code="011001900111", number="77770001",
                     seller=ids["supplier1"].org_id, buyer=ids["core"].org_id, amount=amount, date=now - day,
                     doc_hash=doc).raise_for_refusal()
            vid = c.submit(ids["core"], "receivables", "issue", to=ids["supplier1"].org_id, amount=amount,
                           maturity=now + 90 * day, invoices=[["011001900111-77770001", amount]],
                           contract_hash=doc).raise_for_refusal().result["voucher"]
            c.submit(ids["supplier1"], "receivables", "accept", id=vid).raise_for_refusal()
        yield nt.node, home, vid, ids["supplier2"].org_id
    finally:
        nt.stop()


def fae_in(lang: str, home: str, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "FAE_DEBUG")}
    env.update(FAE_HOME=home, LANG=lang)
    return subprocess.run([sys.executable, "-m", "faechain", *argv], capture_output=True, text=True, timeout=60,
                          env=env)


@pytest.mark.parametrize(("lang", "expected"), [
    ("zh_CN.UTF-8", "fae: 交易被拒绝 [limit_exceeded]：金额 150.00 万元 超过本凭证的金额 100.00 万元"),
    ("en_US.UTF-8", "fae: transaction rejected [limit_exceeded]: amount 1,500,000.00 元 exceeds the piece's "
                    "1,000,000.00 元"),
])
def test_fae_tx_prints_a_refusal_in_the_readers_language(node_with_a_voucher, lang, expected):
    node, home, vid, supplier2 = node_with_a_voucher
    p = fae_in(lang, home, "tx", "--as", "supplier1", "--url", node.url, "receivables", "transfer", f"id={vid}",
               f"to={supplier2}", "amount=150000000")
    assert p.returncode == 1, p.stderr
    assert p.stderr.strip() == expected
    receipt = json.loads(p.stdout)  # the receipt itself, as the chain wrote it, for scripts
    assert receipt["code"] == "limit_exceeded" and receipt["message"] == MESSAGE
