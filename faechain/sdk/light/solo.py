"""Checking a solo chain's header by its block signer's signature.

A solo chain has one node and no validators; its genesis declares a `block_signer` key
with which that node signs every header (faechain.core.genesis, faechain.engines.solo).
What GET /v1/light/{height} answers on such a node is checked here against the key in
the member's **own** copy of genesis — never against the `signer` the node sends, which
must merely equal it — so a node that forges a header, or re-signs one with another key,
or serves another chain's or another height's signed header, is refused:

    doc = client.light_block(h)                        # whatever the node says
    trusted = verify_solo(doc, genesis.chain_id, genesis.block_signer_key(),
                          suite, suite.hash, height=h)  # TrustedHeader, or VerificationError

What a valid signature proves is that the holder of the block signer key signed this
header. It does not prove that the operator never signed a second, different header at
the same height: a solo chain trusts its one operator for that (SECURITY.md). A witness
(a second node's copy of the same signed header) is how a member notices if it did.

Every refusal is `VerificationError(code="bad_header")` naming what failed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from faechain.core.block import Header, header_signing_bytes
from faechain.core.encoding import EncodingError
from faechain.core.wire import jsonable
from faechain.crypto.suite import Suite, SuiteError
from faechain.sdk.trust import TrustedHeader, VerificationError

HEADER_FIELDS = {"chain": str, "height": int, "time": int, "prev": bytes, "txs_root": bytes,
                 "results_root": bytes, "app_hash": bytes, "proposer": bytes}


def verify_solo(doc: Mapping[str, Any], chain_id: str, signer_public_key: bytes, suite: Suite,
                hasher: Callable[[bytes], bytes], *, height: int | None = None) -> TrustedHeader:
    """The header `doc` (a GET /v1/light/{height} answer of a solo node) proves, once checked:

    * `header_bytes` is a canonical faechain header, and `block_hash` is its hash (`hasher`,
      the chain suite's hash);
    * the header is of chain `chain_id` at the doc's `height` (and at `height`, if given:
      the height the caller asked for);
    * the doc's `signer` is `signer_public_key`, the block signer in the member's own
      genesis, and `signature` verifies under it (`suite`) over
      `faechain.core.block.header_signing_bytes(chain_id, height, block_hash)`;
    * the rendered `header`, when present, says what `header_bytes` says.

    VerificationError(code="bad_header") naming the first check that failed."""
    if not isinstance(doc, Mapping):
        raise _bad(f"the light block is not a JSON object but {type(doc).__name__}")
    if doc.get("engine") != "solo":
        raise _bad(f"the light block is from engine {doc.get('engine')!r}, not a solo chain's")
    at = doc.get("height")
    if type(at) is not int or at < 0:
        raise _bad(f"the light block's height {at!r} is not a block height")
    if height is not None and at != height:
        raise _bad(f"asked for the header at height {height}, the node answered height {at}")
    raw = _hex(doc, "header_bytes", at)
    header = _header(raw, at)
    block_hash = hasher(raw)
    claimed = _hex(doc, "block_hash", at)
    if claimed != block_hash:
        raise _bad(f"block {at}: block_hash {claimed.hex()} is not the hash of header_bytes ({block_hash.hex()})")
    if header.chain != chain_id:
        raise _bad(f"block {at}: the header is of chain {header.chain!r}, not {chain_id!r}")
    if header.height != at:
        raise _bad(f"block {at}: the header says height {header.height}")
    shown = doc.get("header")
    if shown is not None and shown != jsonable(header.to_map()):
        differs = sorted(k for k, v in jsonable(header.to_map()).items()
                         if not isinstance(shown, Mapping) or shown.get(k) != v)
        raise _bad(f"block {at}: the rendered header differs from header_bytes in {', '.join(differs) or 'its keys'}")
    if doc.get("signer") is None or doc.get("signature") is None:
        raise _bad(f"block {at} is unsigned: the node's chain declares no block signer, or did not sign it "
                   f"(the member's genesis declares {signer_public_key.hex()})")
    signer = _hex(doc, "signer", at)
    if signer != signer_public_key:
        raise _bad(f"block {at}: signed by {signer.hex()}, not by the block signer genesis declares "
                   f"({signer_public_key.hex()})")
    signature = _hex(doc, "signature", at)
    try:
        key = suite.public_key(signer_public_key)
    except SuiteError as exc:
        raise _bad(f"the block signer key in genesis is not a {suite.name} public key: {exc.message}") from None
    if not key.verify(signature, header_signing_bytes(chain_id, at, block_hash)):
        raise _bad(f"block {at}: the signature does not verify under the block signer {signer_public_key.hex()} "
                   f"over chain {chain_id!r}, height {at}, block hash {block_hash.hex()}")
    return TrustedHeader(height=at, block_hash=block_hash, app_hash=header.app_hash, time_ms=header.time,
                         basis=f"signed by the solo chain's block signer {signer_public_key.hex()[:16]}… "
                               "declared in genesis")


def _bad(message: str) -> VerificationError:
    return VerificationError(message, "bad_header")


def _hex(doc: Mapping[str, Any], name: str, height: int) -> bytes:
    value = doc.get(name)
    if not isinstance(value, str):
        raise _bad(f"block {height}: {name} is missing or not a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise _bad(f"block {height}: {name} is not hex") from None


def _header(raw: bytes, height: int) -> Header:
    """`raw` as a Header, if it is exactly the canonical encoding of one."""
    try:
        header = Header.decode(raw)
    except (EncodingError, ValueError, TypeError) as exc:  # not canonical CBOR; not a header's map
        raise _bad(f"block {height}: header_bytes is not a canonical faechain header ({exc})") from None
    for name, kind in HEADER_FIELDS.items():
        value = getattr(header, name)
        if type(value) is not kind:
            raise _bad(f"block {height}: header field {name} is {type(value).__name__}, not {kind.__name__}")
    return header
