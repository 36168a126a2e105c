"""The test vectors of docs/encoding.md: the code must reproduce every one exactly.

The vectors section of the document (between the GENERATED VECTORS markers) is
rendered by `render()` below from fixed inputs: RFC 8032's test key 1 and fixed
values. The test fails if the document and the code disagree by one byte. After a
deliberate change of the encoding, regenerate the section with

    python tests/ledger/test_vectors.py --write

and review the diff of docs/encoding.md like any other protocol change.

Besides the exact comparison, the vectors are parsed back out of the document and
checked independently (decode, signature, hashes, proofs), so the document is
self-consistent for an implementer in another language.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from faechain.core.block import Header, end_block_record
from faechain.core.encoding import decode, encode
from faechain.core.merkle import merkle_root
from faechain.core.tx import SIGN_DOMAIN, decode_tx, make_body, make_envelope
from faechain.ledger.smt import EMPTY, SparseMerkleTree, verify_proof

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "encoding.md")
BEGIN = "<!-- BEGIN GENERATED VECTORS: python tests/ledger/test_vectors.py --write -->"
END = "<!-- END GENERATED VECTORS -->"

# RFC 8032 section 7.1, TEST 1
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def diag(v) -> str:
    """RFC 8949 diagnostic notation, map entries in canonical order."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if type(v) is int:
        return str(v)
    if type(v) is str:
        return json.dumps(v, ensure_ascii=False)
    if type(v) is bytes:
        return f"h'{v.hex()}'"
    if type(v) is list:
        return "[" + ", ".join(diag(x) for x in v) + "]"
    if type(v) is dict:
        keys = sorted(v, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{diag(k)}: {diag(v[k])}" for k in keys) + "}"
    raise TypeError(type(v))


# -- the fixed inputs ------------------------------------------------------------------

VALUES = [
    ("value/uint-0", 0),
    ("value/uint-24", 24),
    ("value/uint-max", 2**64 - 1),
    ("value/nint-1", -1),
    ("value/nint-min", -(2**63)),
    ("value/bool-null", [True, False, None]),
    ("value/text", "faechain 链"),
    ("value/bytes", b"\x00\xff"),
    ("value/array", [1, [2, 3], "a"]),
    ("value/map-order", {"é": 4, "aa": 2, "b": 1, "ab": 5, "a": 3, "": 0}),
    ("value/nested", {"amount": 1000000, "parties": ["exchange", "bank"], "terms": {"rate_bp": 350, "days": 90}}),
]

CHAIN = "fae-test"
ARGS = {"org_id": "91110000TESTINVS01", "attributes": {"qualified": True}}
NONCE = 7
EXPIRES = 1790000600000
BLOCK_TIME = 1790000000000
PREV = H(b"faechain test vector: previous header")
STATE = [
    (b"demo/account/alice", {"owner": "alice", "balance": 100}),
    (b"demo/account/bob", {"owner": "bob", "balance": 250}),
    (b"demo/config", {"fee_bp": 5}),
]
END_EVENTS = [{"contract": "receivables", "type": "VoucherOverdue", "attrs": {"voucher": "V-1-0-1", "day": 20720}}]
ABSENT_KEY = b"demo/account/carol"
PROVED_KEY = b"demo/account/bob"


class _Nodes:
    def get_node(self, node_hash):
        return None


def build() -> dict:
    """Every vector as {id: (title, input text, bytes)}, in document order."""
    v: dict[str, tuple[str, str, bytes]] = {}
    for vid, value in VALUES:
        v[vid] = ("", diag(value), encode(value))

    key = ed25519.Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert public == RFC8032_PUBLIC
    signer = H(public)
    v["key/seed"] = ("RFC 8032 section 7.1 TEST 1 secret key (seed)", "", RFC8032_SEED)
    v["key/public"] = ("its Ed25519 public key", "", public)
    v["key/signer"] = ("the signer id used below: SHA-256(public key), standing in for SHA-256(certificate DER)",
                       "", signer)

    body = make_body(CHAIN, signer, "membership", "set_attributes", ARGS, NONCE, EXPIRES)
    body_value = decode(body)
    v["tx/body"] = ("transaction body", diag(body_value), body)
    v["tx/sign-bytes"] = ('signed bytes: "faechain/tx/v1" 0x00 || body', "", SIGN_DOMAIN + body)
    signature = key.sign(SIGN_DOMAIN + body)
    v["tx/signature"] = ("Ed25519 signature over the signed bytes", "", signature)
    envelope = make_envelope(body, signature, None)
    v["tx/envelope"] = ("envelope, without a certificate", "[1, <tx/body>, <tx/signature>, null]", envelope)
    tx_hash = decode_tx(envelope, H).hash
    v["tx/hash"] = ("transaction hash: SHA-256(body)", "", tx_hash)

    receipt = {
        "tx": tx_hash, "height": 1, "index": 0, "code": "ok", "message": "",
        "result": {"org_id": ARGS["org_id"]},
        "events": [{"contract": "membership", "type": "OrgAttributesSet",
                    "attrs": {"org_id": ARGS["org_id"], "attributes": {"qualified": True}}}],
    }
    receipt_bytes = encode(receipt)
    v["receipt/bytes"] = ("receipt of tx/hash at height 1, index 0", diag(receipt), receipt_bytes)
    v["receipt/hash"] = ("SHA-256(receipt): the results_root leaf", "", H(receipt_bytes))
    end_record = end_block_record(END_EVENTS)
    v["receipt/end-block"] = ("end-of-block record: the extra results_root leaf is its SHA-256",
                              diag({"end_block": END_EVENTS}), end_record)
    v["receipt/end-block-hash"] = ("SHA-256(end-of-block record)", "", H(end_record))

    leaves = [tx_hash, H(b"tx 2"), H(b"tx 3")]
    v["merkle/root-3"] = ("merkle_root over three leaves", "[<tx/hash>, SHA-256(\"tx 2\"), SHA-256(\"tx 3\")]",
                          merkle_root(H, leaves))

    tree = SparseMerkleTree(H, _Nodes())
    for key_bytes, record in STATE:
        value = encode(record)
        v[f"state/{key_bytes.decode()}"] = (
            f"state record under key \"{key_bytes.decode()}\" (key hash {H(key_bytes).hex()})", diag(record), value)
    root = tree.update(EMPTY, {H(k): H(encode(r)) for k, r in STATE})
    v["smt/root-3"] = ("sparse Merkle root over the three state records above", "", root)
    for i, (node_hash, node) in enumerate(_nodes_top_down(tree, root)):
        kind = "leaf" if node[0] == 0 else "internal"
        v[f"smt/node-{i}"] = (f"{kind} node, hash {node_hash.hex()}", "", node)
    proof = tree.prove(root, H(PROVED_KEY))
    v["smt/proof-bob"] = (
        f"inclusion proof of \"{PROVED_KEY.decode()}\" as a canonical map", "", encode(_proof_value(proof)))
    absent = tree.prove(root, H(ABSENT_KEY))
    v["smt/proof-carol-absent"] = (
        f"absence proof of \"{ABSENT_KEY.decode()}\" (key hash {H(ABSENT_KEY).hex()})", "",
        encode(_proof_value(absent)))

    header = Header(CHAIN, 1, BLOCK_TIME, PREV, merkle_root(H, [tx_hash]), merkle_root(H, [H(receipt_bytes)]),
                    root, b"solo")
    v["header/bytes"] = (
        "block header: height 1 holding tx/envelope, app_hash smt/root-3, "
        "prev SHA-256(\"faechain test vector: previous header\")",
        diag(header.to_map()), header.encode())
    v["header/hash"] = ("block hash: SHA-256(header)", "", header.hash(H))
    return v


def _proof_value(proof: dict) -> dict:
    return {"siblings": list(proof["siblings"]), "leaf": list(proof["leaf"]) if proof["leaf"] else None}


def _nodes_top_down(tree, root):
    out, queue = [], [root]
    while queue:
        h = queue.pop(0)
        if h == EMPTY:
            continue
        node = tree.node(h)
        out.append((h, node))
        if node[0] == 1:
            queue.extend([node[1:33], node[33:65]])
    return out


def _wrap(hexed: str, width: int = 64) -> str:
    return "\n".join(hexed[i : i + width] for i in range(0, len(hexed), width)) or "(empty)"


def render() -> str:
    lines = [BEGIN, ""]
    section = None
    for vid, (title, text, data) in build().items():
        group = vid.split("/")[0]
        if group != section:
            section = group
            lines += [f"### {GROUP_TITLES[group]}", ""]
        heading = f"**`{vid}`**" + (f" — {title}" if title else "")
        lines.append(heading)
        if text:
            lines += ["", "```cbor-diag", text, "```"]
        lines += ["", "```hex", _wrap(data.hex()), "```", ""]
    lines.append(END)
    return "\n".join(lines)


GROUP_TITLES = {
    "value": "Values",
    "key": "Signing key",
    "tx": "Transaction",
    "receipt": "Receipt",
    "merkle": "Ordered Merkle root",
    "state": "State records",
    "smt": "Sparse Merkle tree",
    "header": "Block header",
}


def doc_section(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END)
    return text[start : end + len(END)]


def parse(section: str) -> dict[str, bytes]:
    """{vector id: bytes} as written in the document."""
    out = {}
    pattern = re.compile(r"^\*\*`(?P<id>[^`]+)`\*\*.*?```hex\n(?P<hex>[0-9a-f\n]*?|\(empty\))\n```", re.S | re.M)
    for m in pattern.finditer(section):
        hexed = m.group("hex")
        out[m.group("id")] = b"" if hexed == "(empty)" else bytes.fromhex(hexed.replace("\n", ""))
    return out


# -- the tests ------------------------------------------------------------------------


def read_doc() -> str:
    with open(DOC, encoding="utf-8") as f:
        return f.read()


def test_document_vectors_are_what_the_code_produces():
    section = doc_section(read_doc())
    expected = render()
    if section != expected:
        doc_v, code_v = parse(section), {k: d for k, (_, _, d) in build().items()}
        differing = sorted(k for k in code_v.keys() | doc_v.keys() if doc_v.get(k) != code_v.get(k))
        raise AssertionError(f"docs/encoding.md vectors differ from the code: {differing or 'text only'}")


def test_every_vector_is_parsed():
    vectors = parse(doc_section(read_doc()))
    assert vectors.keys() == build().keys()


def test_vectors_are_self_consistent():
    """Independent checks an implementer can repeat from the document alone."""
    v = parse(doc_section(read_doc()))
    for vid, value in VALUES:
        assert decode(v[vid]) == value and encode(decode(v[vid])) == v[vid]
    assert v["value/uint-0"].hex() == "00" and v["value/uint-24"].hex() == "1818"
    assert v["value/nint-1"].hex() == "20"
    assert list(decode(v["value/map-order"])) == ["", "a", "b", "aa", "ab", "é"]
    # the transaction
    public = ed25519.Ed25519PublicKey.from_public_bytes(v["key/public"])
    assert v["key/public"] == RFC8032_PUBLIC and v["key/signer"] == H(v["key/public"])
    version, body, signature, cert = decode(v["tx/envelope"])
    assert (version, body, signature, cert) == (1, v["tx/body"], v["tx/signature"], None)
    assert v["tx/sign-bytes"] == b"faechain/tx/v1\x00" + body
    public.verify(signature, v["tx/sign-bytes"])  # raises if it does not verify
    assert v["tx/hash"] == H(body)
    fields = decode(body)
    assert list(fields) == ["args", "chain", "nonce", "method", "signer", "expires", "contract"]
    assert fields["signer"] == v["key/signer"]
    # receipt, header and roots
    assert v["receipt/hash"] == H(v["receipt/bytes"]) and decode(v["receipt/bytes"])["tx"] == v["tx/hash"]
    assert decode(v["receipt/end-block"]) == {"end_block": END_EVENTS}
    assert v["receipt/end-block-hash"] == H(v["receipt/end-block"])
    header = decode(v["header/bytes"])
    assert list(header) == ["prev", "time", "chain", "height", "app_hash", "proposer", "txs_root", "results_root"]
    assert v["header/hash"] == H(v["header/bytes"])
    assert header["txs_root"] == H(b"\x00" + v["tx/hash"])
    assert header["results_root"] == H(b"\x00" + v["receipt/hash"])
    assert header["app_hash"] == v["smt/root-3"]
    a, b, c = v["tx/hash"], H(b"tx 2"), H(b"tx 3")
    assert v["merkle/root-3"] == H(b"\x01" + H(b"\x01" + H(b"\x00" + a) + H(b"\x00" + b)) + H(b"\x00" + c))
    # the sparse Merkle tree: nodes hash as listed, the root is the first node, proofs verify
    nodes = [v[k] for k in v if k.startswith("smt/node-")]
    assert H(nodes[0]) == v["smt/root-3"]
    leaves = {n[1:33]: n[33:65] for n in nodes if n[0] == 0}
    assert leaves == {H(k): H(v[f"state/{k.decode()}"]) for k, _ in STATE}
    for n in nodes:
        if n[0] == 1:
            for child in (n[1:33], n[33:65]):
                assert child == EMPTY or any(H(m) == child for m in nodes)
    proof = decode(v["smt/proof-bob"])
    assert verify_proof(H, v["smt/root-3"], PROVED_KEY, v[f"state/{PROVED_KEY.decode()}"], proof)
    assert not verify_proof(H, v["smt/root-3"], PROVED_KEY, v["state/demo/config"], proof)
    absent = decode(v["smt/proof-carol-absent"])
    assert verify_proof(H, v["smt/root-3"], ABSENT_KEY, None, absent)


def test_rfc8032_test1_signature():
    """The key really is RFC 8032's: it reproduces TEST 1's signature of the empty message."""
    key = ed25519.Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


def write() -> None:
    text = read_doc()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + render() + text[end:]
    with open(DOC, "w", encoding="utf-8") as f:
        f.write(new)
    print(f"updated {DOC}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        print(render())
