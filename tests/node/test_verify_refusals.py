"""`fae verify` finds nothing wrong with a chain whatever its transactions were refused for.

The verifier re-derives, from each receipt's code, whether the chain authenticated the
signer (and so wrote a replay-guard row and must hold a signature that verifies). A
refusal at any stage — bytes that do not decode, another chain, an expired or replayed
transaction, an unknown or revoked signer, a bad certificate or signature, a contract's
refusal after authentication — must leave a chain that verifies clean; a false alarm
here is what an operator sees as "your ledger is damaged". The property draws blocks of
mixed transactions and feeds them through `finalize_block` directly.
"""

from __future__ import annotations

import shutil
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faechain.core.tx import make_body, make_envelope
from faechain.crypto import certs
from faechain.crypto.suite import get_suite
from faechain.identity.wallet import Identity
from faechain.node.verify import verify_chain
from tests.conftest import ORGS, SUITE_NOW, TestChain, open_chain

BANK = ORGS[1][1]
OTHER_SUITE = {"ed25519": "sm2-sm3", "sm2-sm3": "ed25519"}

# kind -> the receipt code the chain gives it
KINDS = {
    "ok": "ok",
    "undecodable": "bad_encoding",
    "wrong_chain": "wrong_chain",
    "expired": "tx_expired",
    "unknown_contract": "unknown_contract",
    "unknown_method": "unknown_method",
    "replay": "replay",
    "unknown_signer": "unknown_signer",
    "foreign_certificate": "bad_certificate",
    "revoked": "revoked",
    "bad_signature": "bad_signature",
    "unauthorized": "unauthorized",
    "not_found": "not_found",
    "bad_ca": "bad_ca_certificate",
}


class Maker:
    """Envelopes of each kind for one chain; `seen` holds accepted ones to replay."""

    def __init__(self, chain: TestChain, late: Identity, gone: Identity) -> None:
        self.chain, self.late, self.gone = chain, late, gone
        self.n = 0
        self.accepted: list[bytes] = []

    def _args(self) -> dict:
        self.n += 1
        return {"org_id": BANK, "attributes": {"n": self.n}}

    def _signed_by(self, who: Identity, cert: bytes | None, corrupt: bool = False) -> bytes:
        c = self.chain
        body = make_body(c.chain_id, who.cert_id, "membership", "set_attributes", self._args(), self.n,
                         c.clock + 600_000)
        signature = who.key.sign(b"faechain/tx/v1\x00" + body)
        if corrupt:
            signature = bytes([signature[0] ^ 1]) + signature[1:]
        return make_envelope(body, signature, cert)

    def make(self, kind: str) -> bytes:
        c = self.chain
        if kind == "ok":
            raw = c.sign("exchange", "membership", "set_attributes", self._args())
            self.accepted.append(raw)
            return raw
        if kind == "undecodable":
            self.n += 1
            return b"\xffnot an envelope" + self.n.to_bytes(4, "big")
        if kind == "wrong_chain":
            return c.ids["exchange"].sign_tx("another-chain", "membership", "set_attributes", self._args(),
                                             now_ms=c.clock)
        if kind == "expired":
            return c.sign("exchange", "membership", "set_attributes", self._args(), expires=c.clock - 1)
        if kind == "unknown_contract":
            return c.sign("exchange", "no_such_contract", "set_attributes", self._args())
        if kind == "unknown_method":
            return c.sign("exchange", "membership", "no_such_method", self._args())
        if kind == "replay":
            if not self.accepted:
                return self.make("ok")  # nothing to replay yet: the draw stays valid
            return self.accepted[0]
        if kind == "unknown_signer":
            return self.late.sign_tx(c.chain_id, "membership", "set_attributes", self._args(), attach_cert=False,
                                     now_ms=c.clock)
        if kind == "foreign_certificate":  # signed by `late`, carrying the exchange's certificate
            return self._signed_by(self.late, c.ids["exchange"].cert)
        if kind == "revoked":
            return c.sign(self.gone, "membership", "set_attributes", self._args())
        if kind == "bad_signature":
            return self._signed_by(c.ids["exchange"], c.ids["exchange"].cert, corrupt=True)
        if kind == "unauthorized":  # the bank is no exchange
            return c.sign("bank", "membership", "set_attributes", self._args())
        if kind == "not_found":
            return c.sign("exchange", "membership", "set_attributes",
                          {"org_id": "91110000NOSUCHORG1", "attributes": {"n": self._args()["attributes"]["n"]}})
        if kind == "bad_ca":  # a CA of the other signature suite: refused by the contract
            other = get_suite(OTHER_SUITE[c.genesis.suite])
            ca = certs.create_ca(other.generate(), "91110000NEWMEMB001", "New Member", "INVESTOR", now=SUITE_NOW)
            return c.sign("exchange", "membership", "admit",
                          {"org_id": "91110000NEWMEMB001", "name": "New Member", "type": "INVESTOR", "ca": ca})
        raise AssertionError(kind)


blocks_of_kinds = st.lists(st.lists(st.sampled_from(sorted(KINDS)), max_size=6), min_size=1, max_size=4)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=blocks_of_kinds)
def test_any_mix_of_refusals_verifies_clean(consortium_template, blocks):
    home = tempfile.mkdtemp(prefix="fae-verify-refusals-")
    try:
        shutil.copytree(consortium_template, home, dirs_exist_ok=True)
        chain = open_chain(home)
        try:
            late = chain.new_identity("bank", "late")
            gone = chain.new_identity("bank", "gone")
            revoked = chain.run("bank", "membership", "revoke",
                                {"org_id": BANK, "cert_id": gone.cert_id, "reason": "left the bank"})
            assert revoked.ok, revoked
            maker = Maker(chain, late, gone)
            for kinds in blocks:
                txs = [maker.make(kind) for kind in kinds]
                codes = [r.code for r in chain.block(txs).receipts]
                want = [KINDS[k] for k in kinds]
                # a replay drawn before anything was accepted is an accepted transaction instead,
                # and the second copy of an envelope in one block is a replay of the first
                assert [c for c, w in zip(codes, want, strict=True) if c != w and w != "replay"] == [], (kinds, codes)
            report = verify_chain(chain.store, chain.genesis)
            assert report.ok, f"{blocks}: {report}"
        finally:
            chain.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
