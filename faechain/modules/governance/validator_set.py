"""The validator set governance holds: seeded from the genesis document, changed by `set_validator` proposals.

Under CometBFT the genesis list is CometBFT's genesis validator set too (InitChain checks
that they agree); for the solo engine it is normally empty and nothing consults it. A
change is written to the set and appended to `updates/<height>`, which the chain reports
as the block's `validator_updates` (ABCI FinalizeBlock), so every node reports the same
changes for the same block; CometBFT applies them at height H+2. A change that would
leave no validator is refused, and so is removing a key that is not a validator
(CometBFT would halt on it).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from faechain.contracts.errors import BadRequest, InvalidState, LimitExceeded, NotFound, ensure
from faechain.contracts.runtime import Ctx
from faechain.modules.governance.records import (
    KEY_TYPE,
    MAX_POWER,
    MAX_VALIDATORS,
    VALIDATORS_KEY,
    Validator,
    updates_key,
)
from faechain.modules.membership.records import ACTIVE, Org, org_key
from faechain.modules.membership.records import NAME as MEMBERSHIP


def genesis_validators(entries: list[dict[str, Any]]) -> list[Validator]:
    """The genesis document's `validators` (base64 ed25519 keys) as the set governance keeps, in key
    order; a ValueError (the node refuses to start) for a bad or repeated key or a power not above 0."""
    vals: dict[str, Validator] = {}
    for v in entries:
        key_type = v.get("key_type", KEY_TYPE)
        try:
            raw = base64.b64decode(v["pub_key"], validate=True)
        except (binascii.Error, KeyError, TypeError) as exc:
            raise ValueError(f"genesis validator {v.get('name')!r}: bad pub_key") from exc
        power = int(v.get("power", 1))
        if key_type != KEY_TYPE or len(raw) != 32 or power <= 0 or raw.hex() in vals:
            raise ValueError(f"genesis validator {v.get('name')!r} must be a distinct ed25519 key with power > 0")
        vals[raw.hex()] = {"pub_key": raw.hex(), "key_type": key_type, "power": power,
                           "name": v.get("name", ""), "org_id": v.get("org_id")}
    return [vals[k] for k in sorted(vals)]


def _pub_key(hex_key: str) -> str:
    try:
        raw = bytes.fromhex(hex_key)
    except ValueError:
        raw = b""
    ensure(len(raw) == 32 and hex_key == raw.hex(),
           BadRequest("pub_key must be an ed25519 public key: 64 lowercase hex characters"))
    return hex_key


def set_validator(ctx: Ctx, a: dict[str, Any]) -> dict[str, Any]:
    """Execute a `set_validator` proposal: add, re-weight, or (power 0) remove the validator `a["pub_key"]`."""
    key, power = _pub_key(a["pub_key"]), a["power"]
    ensure(0 <= power <= MAX_POWER, BadRequest(f"power must be 0 .. {MAX_POWER} (0 removes the validator)"))
    vals: dict[str, Validator] = {v["pub_key"]: v for v in ctx.state.get(VALIDATORS_KEY) or []}
    current = vals.get(key)
    if power == 0:
        ensure(current is not None, NotFound(f"{key} is not a validator"))
        ensure(len(vals) > 1, InvalidState("removing the last validator would leave none"))
        del vals[key]
    else:
        ensure(current is not None or len(vals) < MAX_VALIDATORS,
               LimitExceeded(f"the validator set is full ({MAX_VALIDATORS})"))
        org_id = a.get("org_id", current["org_id"] if current else None)
        if org_id is not None:
            org: Org | None = ctx.read(MEMBERSHIP, org_key(org_id))
            ensure(org is not None and org["status"] == ACTIVE,
                   NotFound(f"organisation {org_id!r} is not a consortium member"))
        vals[key] = {"pub_key": key, "key_type": KEY_TYPE, "power": power,
                     "name": a.get("name", current["name"] if current else ""), "org_id": org_id}
    ctx.state.put(VALIDATORS_KEY, [vals[k] for k in sorted(vals)])
    # every change of this block, one entry per key (CometBFT refuses duplicates), in key order
    slot = updates_key(ctx.height)
    changes = {k: [t, k, pw] for t, k, pw in ctx.state.get(slot) or []}
    changes[key] = [KEY_TYPE, key, power]
    ctx.state.put(slot, [changes[k] for k in sorted(changes)])
    ctx.emit("ValidatorChanged", pub_key=key, power=power, previous=current["power"] if current else 0)
    return {"pub_key": key, "power": power, "validators": len(vals)}
