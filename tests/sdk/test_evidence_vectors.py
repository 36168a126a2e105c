"""The evidence bundle format against its committed test vectors (docs/evidence-vectors/).

Every vector — an honest bundle of each kind (solo Ed25519, solo SM2/SM3, a real
4-validator CometBFT network), and each tampering as an RFC 6902 patch over one — must get
the verdict the manifest states from the SDK's verifier and from the standalone verifier,
in process and as a copy of the single file run by a Python that cannot import faechain.
The standalone file imports only the standard library and `cryptography`, and the parts it
restates (the canonical CBOR codec, the ABCI code table) equal faechain's own.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import sys
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faechain.cli.main import main as fae_main
from faechain.core.encoding import EncodingError, decode, encode
from faechain.engines.cometbft.codes import CODE_NUMBERS, code_number
from faechain.sdk import evidence
from faechain.sdk import evidence_standalone as standalone
from tests.sdk import evidence_support as es

with open(os.path.join(es.VECTORS, "vectors.json")) as _f:
    MANIFEST = json.load(_f)
ENTRIES = MANIFEST["vectors"]


def _bundle(name: str) -> dict:
    with open(os.path.join(es.VECTORS, name)) as f:
        return json.load(f)


def _materialize(entry: dict) -> tuple[dict, dict | None]:
    base = _bundle(entry["file"])
    doc = es.apply_patch(base, entry["patch"]) if "patch" in entry else base
    genesis = _bundle(entry["your_genesis"])["genesis"] if "your_genesis" in entry else None
    return doc, genesis


def test_the_vectors_cover_every_kind_engine_suite_and_failure_code():
    honest = [_bundle(e["file"]) for e in ENTRIES if "patch" not in e]
    assert {b["subject"]["kind"] for b in honest} == set(evidence.KINDS)
    assert {b["engine"] for b in honest} == {"solo", "cometbft"}
    assert {b["genesis"]["suite"] for b in honest} == {"ed25519", "sm2-sm3"}
    codes = {e["code"] for e in ENTRIES if not e["ok"]}
    assert codes == {"malformed", "untrusted", "bad_header", "not_proven", "incomplete"}, codes


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_both_verifiers_reach_the_stated_verdict(entry):
    doc, genesis = _materialize(entry)
    message = es.assert_agree(doc, entry["ok"], entry["code"], genesis, entry["name"])
    if not entry["ok"]:
        assert message, "a refusal names what failed"


def test_refusals_name_what_failed():
    by = {e["name"]: e for e in ENTRIES}
    doc, _ = _materialize(by["solo-voucher/removed-lineage-element"])
    _, _, message = es.sdk_verdict(doc)
    vid = doc["subject"]["id"]
    assert "(its parent)" in message and f"at height {doc['height']}" in message and "no record" in message
    assert message.startswith("receivables/voucher/") and vid not in message.split(":")[0]
    doc, _ = _materialize(by["cometbft-voucher/too-few-signatures"])
    height = doc["light_blocks"][-1]["signed_header"]["header"]["height"]
    assert es.sdk_verdict(doc)[2] == (f"commit at height {height} has 2 of 4 validators' signatures: 50 % of voting "
                                      "power, needs more than 2/3")
    doc, _ = _materialize(by["solo-voucher/flipped-value"])
    assert es.sdk_verdict(doc)[2].startswith(f"receivables/voucher/{vid} at height {doc['height']}: the proof does "
                                             "not verify against block")


def test_the_standalone_file_imports_only_the_standard_library_and_cryptography():
    with open(es.STANDALONE) as f:
        tree = ast.parse(f.read())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            roots.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            pytest.fail("no dynamic imports")
    third_party = roots - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"cryptography"}, third_party
    assert "faechain" not in roots


def test_the_standalone_file_verifies_every_vector_where_faechain_cannot_be_imported(tmp_path):
    """A copy of the one file, run by `python -I -S` with only site-packages on its path: the
    harness first checks that `import faechain` fails there, then verifies every vector."""
    jobs = []
    for i, entry in enumerate(ENTRIES):
        doc, genesis = _materialize(entry)
        (tmp_path / f"{i}.json").write_text(json.dumps(doc))
        job = {"file": f"{i}.json"}
        if genesis is not None:
            (tmp_path / f"{i}.genesis.json").write_text(json.dumps(genesis))
            job["genesis"] = f"{i}.genesis.json"
        jobs.append(job)
    got = es.run_isolated(str(tmp_path), jobs)
    for entry, verdict in zip(ENTRIES, got, strict=True):
        assert (verdict["ok"], verdict["code"]) == (entry["ok"], entry["code"]), (entry["name"], verdict)


def test_the_standalone_command_line(tmp_path):
    by = {e["name"]: e for e in ENTRIES}
    for name, status in (("cometbft-voucher", 0), ("sm-solo-voucher", 0), ("solo-audit/receipt-changed", 1)):
        doc, _ = _materialize(by[name])
        (tmp_path / "b.json").write_text(json.dumps(doc))
        done = es.isolated_main(str(tmp_path), "b.json")
        assert done.returncode == status, (name, done.stdout, done.stderr)
        if status == 0:
            assert done.stdout.startswith("VERIFIED") and "assumes" in done.stdout
        else:
            assert "NOT VERIFIED" in done.stdout and "FAILED    not_proven: block" in done.stdout
    (tmp_path / "mine.json").write_text(json.dumps(_bundle("solo-voucher.json")["genesis"]))
    (tmp_path / "b.json").write_text(json.dumps(_bundle("cometbft-voucher.json")))
    done = es.isolated_main(str(tmp_path), "b.json", "--genesis", "mine.json")
    assert done.returncode == 1 and "untrusted: the bundle's genesis" in done.stdout


def test_the_sdk_report_says_what_was_proven_and_on_what_it_rests():
    b = _bundle("cometbft-voucher.json")
    r = evidence.verify(b)
    assert r.ok and r.kind == "voucher" and r.engine == "cometbft" and r.height == b["height"]
    key = f"receivables/voucher/{b['subject']['id']}"
    assert r.values[(b["height"], key)]["id"] == b["subject"]["id"]
    text = "\n".join(r.lines())
    assert "lineage" in text and "complete up to the root" in text
    assert f"app hash in CometBFT header {b['height'] + 1}, signed by" in text
    assert "fewer than 1/3 of the trusted voting power" in text
    solo = evidence.verify(_bundle("solo-audit.json"))
    assert solo.ok and any("limit_exceeded" in line for line in solo.proven)
    assert any("never signed two headers" in line for line in solo.lines())


def test_fae_evidence_verify(tmp_path, capsys):
    path = tmp_path / "v.json"
    path.write_text(json.dumps(_bundle("solo-plan.json")))
    assert fae_main(["evidence", "verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VERIFIED") and "penetration complete" in out
    genesis = tmp_path / "g.json"
    genesis.write_text(json.dumps(_bundle("cometbft-plan.json")["genesis"]))
    assert fae_main(["evidence", "verify", str(path), "--genesis", str(genesis)]) == 1
    captured = capsys.readouterr()
    assert "untrusted: the bundle's genesis" in captured.err
    doc, _ = _materialize({e["name"]: e for e in ENTRIES}["solo-plan/asset-left-out"])
    path.write_text(json.dumps(doc))
    assert fae_main(["evidence", "verify", str(path), "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["ok"] is False and verdict["code"] == "incomplete" and "plans/asset/" in verdict["failure"]


def test_abci_codes_are_the_engines():
    assert evidence.ABCI_CODES == CODE_NUMBERS == standalone.ABCI_CODES
    for code in ("ok", "not_found", "a_code_a_module_adds_later", "duplicate"):
        assert evidence.abci_code(code) == code_number(code) == standalone.abci_code(code)
    assert standalone.abci_code("x") == 1000 + zlib.crc32(b"x") % 1_000_000_000


# -- the standalone codec is faechain's canonical encoding ---------------------------------------------------
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.binary(max_size=40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(values)
def test_the_standalone_encoder_is_the_canonical_one(value):
    raw = encode(value)
    assert standalone.cbor_encode(value) == raw
    assert standalone.cbor_decode(raw) == decode(raw)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=60), values.map(encode).flatmap(
    lambda raw: st.tuples(st.just(raw), st.integers(0, max(0, len(raw) - 1)), st.integers(0, 255)).map(
        lambda t: t[0][:t[1]] + bytes([t[2]]) + t[0][t[1] + 1:]))))
def test_the_standalone_decoder_accepts_exactly_what_faechain_accepts(data):
    try:
        expected = decode(data)
    except EncodingError:
        expected = EncodingError
    try:
        got = standalone.cbor_decode(data)
    except standalone.CborError:
        got = EncodingError
    assert got == expected


def test_the_specification_lists_every_vector_and_failure_code():
    with open(os.path.join(es.VECTORS, "..", "evidence.md")) as f:
        spec = f.read()
    for entry in ENTRIES:
        base, _, tampering = entry["name"].partition("/")
        assert f"`{base}" in spec or f"/{tampering}`" in spec, entry["name"]
        if tampering:
            assert f"/{tampering}`" in spec, entry["name"]
    for code in ("malformed", "unavailable", "untrusted", "bad_header", "not_proven", "incomplete"):
        assert f"| `{code}` |" in spec, code
    assert evidence.FORMAT in spec and str(evidence.MAX_AUDIT_BLOCKS).replace("0000", "0,000") in spec


# -- the two verifiers agree on whatever a forger writes ------------------------------------------------------
HONEST = [e["file"] for e in ENTRIES if "patch" not in e and e["file"] != "solo-package.json"]
ODD_VALUES = [None, 0, -1, 1, True, "", "zz", "00", [], {}, 2**64, "0001-01-01T00:00:00Z", 1.5]


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_edit_of_a_bundle_gets_the_same_verdict_from_both_verifiers(data):
    doc = copy.deepcopy(_bundle(data.draw(st.sampled_from(HONEST))))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from([p for p in _paths(doc) if p]))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        value = parent[path[-1]]
        edit = data.draw(st.sampled_from(["remove", "character", "nudge", "replace"]))
        if edit == "remove":
            del parent[path[-1]]
        elif edit == "character" and isinstance(value, str) and value:
            i = data.draw(st.integers(0, len(value) - 1))
            parent[path[-1]] = value[:i] + data.draw(st.sampled_from("0123456789abcdefABCDEF=+/Z:. ")) + value[i + 1:]
        elif edit == "nudge" and type(value) is int:
            parent[path[-1]] = value + data.draw(st.sampled_from([-1, 1]))
        else:
            parent[path[-1]] = data.draw(st.sampled_from(ODD_VALUES))
    sdk, alone, message = es.verdicts(doc)
    assert sdk == alone, (sdk, alone, message)
