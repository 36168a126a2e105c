"""CometBFT's JSON for light blocks, read and written.

The forms CometBFT v0.38's RPC serves: `result` of `/commit?height=H` (its
`signed_header`), the `validators` of `/validators?height=H` (every page, in order), and
a LightBlock as `{"signed_header", "validator_set": {"validators"}}`. Hashes are upper-
case hex, keys and signatures base64, 64-bit integers strings. Parsing checks only the
form; anything malformed is a `bad_header` VerificationError naming the field.
`light_block_to_json` writes the same JSON back byte for byte (the test vectors rely
on it).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from faechain.sdk.light.records import (
    ED25519_TYPE,
    BlockID,
    Commit,
    CommitSig,
    Header,
    LightBlock,
    PartSetHeader,
    SignedHeader,
    Validator,
    ValidatorSet,
    bad_header,
    format_time,
    parse_time,
)


def _hex(value: Any) -> bytes:
    return bytes.fromhex(value) if value else b""


def _b64(value: Any) -> bytes:
    return base64.b64decode(value, validate=True) if value else b""


def _block_id_json(doc: Mapping[str, Any]) -> BlockID:
    parts = doc.get("parts") or doc.get("part_set_header") or {}
    return BlockID(_hex(doc.get("hash")), PartSetHeader(int(parts.get("total") or 0), _hex(parts.get("hash"))))


def header_from_json(doc: Mapping[str, Any]) -> Header:
    """A header as `/commit`, `/header` or `/block` return it."""
    try:
        version = doc.get("version") or {}
        return Header(
            chain_id=str(doc["chain_id"]), height=int(doc["height"]), time_ns=parse_time(doc["time"]),
            last_block_id=_block_id_json(doc.get("last_block_id") or {}),
            last_commit_hash=_hex(doc.get("last_commit_hash")), data_hash=_hex(doc.get("data_hash")),
            validators_hash=_hex(doc.get("validators_hash")),
            next_validators_hash=_hex(doc.get("next_validators_hash")),
            consensus_hash=_hex(doc.get("consensus_hash")), app_hash=_hex(doc.get("app_hash")),
            last_results_hash=_hex(doc.get("last_results_hash")), evidence_hash=_hex(doc.get("evidence_hash")),
            proposer_address=_hex(doc.get("proposer_address")),
            version_block=int(version.get("block") or 0), version_app=int(version.get("app") or 0),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad_header(f"malformed header: {type(exc).__name__} {exc}") from None


def commit_from_json(doc: Mapping[str, Any]) -> Commit:
    try:
        sigs = tuple(
            CommitSig(int(s["block_id_flag"]), _hex(s.get("validator_address")),
                      parse_time(s.get("timestamp") or "0001-01-01T00:00:00Z"), _b64(s.get("signature")))
            for s in doc["signatures"])
        return Commit(int(doc["height"]), int(doc.get("round") or 0), _block_id_json(doc["block_id"]), sigs)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad_header(f"malformed commit: {type(exc).__name__} {exc}") from None


def signed_header_from_json(doc: Mapping[str, Any]) -> SignedHeader:
    """`result` of `/commit?height=H` (or its `signed_header`)."""
    doc = doc.get("signed_header", doc)
    try:
        return SignedHeader(header_from_json(doc["header"]), commit_from_json(doc["commit"]))
    except KeyError as exc:
        raise bad_header(f"malformed signed header: no {exc}") from None


def validator_from_json(doc: Mapping[str, Any]) -> Validator:
    try:
        key = doc["pub_key"]
        if key.get("type") != ED25519_TYPE:
            raise bad_header(f"validator {doc.get('address')} has a {key.get('type')} key; only Ed25519 is supported")
        return Validator(_hex(doc["address"]), _b64(key["value"]), int(doc["voting_power"]),
                         int(doc.get("proposer_priority") or 0))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad_header(f"malformed validator: {type(exc).__name__} {exc}") from None


def validator_set_from_json(validators: Sequence[Mapping[str, Any]]) -> ValidatorSet:
    """The `validators` of `/validators?height=H`, all pages concatenated in order."""
    return ValidatorSet(tuple(validator_from_json(v) for v in validators))


def light_block_from_json(doc: Mapping[str, Any]) -> LightBlock:
    """{"signed_header": ..., "validator_set": {"validators": [...]}} (CometBFT's LightBlock
    JSON, and the form `light_block_to_json` writes)."""
    try:
        vals = doc["validator_set"]["validators"]
    except (KeyError, TypeError) as exc:
        raise bad_header(f"malformed light block: no validator set ({exc})") from None
    return LightBlock(signed_header_from_json(doc["signed_header"]), validator_set_from_json(vals))


def _block_id_to_json(b: BlockID) -> dict[str, Any]:
    return {"hash": b.hash.hex().upper(),
            "parts": {"total": b.part_set_header.total, "hash": b.part_set_header.hash.hex().upper()}}


def light_block_to_json(lb: LightBlock) -> dict[str, Any]:
    """The inverse of `light_block_from_json`, in CometBFT's JSON conventions (upper-case
    hex, base64 keys and signatures, 64-bit integers as strings)."""
    h, c = lb.header, lb.commit
    header = {
        "version": {"block": str(h.version_block), "app": str(h.version_app)},
        "chain_id": h.chain_id, "height": str(h.height), "time": format_time(h.time_ns),
        "last_block_id": _block_id_to_json(h.last_block_id),
        **{name: getattr(h, name).hex().upper() for name in (
            "last_commit_hash", "data_hash", "validators_hash", "next_validators_hash", "consensus_hash",
            "app_hash", "last_results_hash", "evidence_hash", "proposer_address")},
    }
    commit = {
        "height": str(c.height), "round": c.round, "block_id": _block_id_to_json(c.block_id),
        "signatures": [{"block_id_flag": s.block_id_flag, "validator_address": s.validator_address.hex().upper(),
                        "timestamp": format_time(s.timestamp_ns),
                        "signature": base64.b64encode(s.signature).decode() if s.signature else None}
                       for s in c.signatures],
    }
    vals = [{"address": v.address.hex().upper(),
             "pub_key": {"type": ED25519_TYPE, "value": base64.b64encode(v.pub_key).decode()},
             "voting_power": str(v.voting_power), "proposer_priority": str(v.proposer_priority)}
            for v in lb.validator_set.validators]
    return {"signed_header": {"header": header, "commit": commit}, "validator_set": {"validators": vals}}
