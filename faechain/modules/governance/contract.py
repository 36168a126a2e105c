"""The `governance` contract: the consortium changes itself by a two-thirds vote (domain.md section 5).

A proposal is one of five kinds, with its parameters (`propose(kind, params, summary)`):

    admit_org      {org_id, name, type, ca (PEM), attributes?}   a new member organisation and its CA
    revoke_cert    {cert_id (hex), org_id?, reason?}              a member certificate stops signing
    remove_org     {org_id, reason?}                              an organisation is REMOVED
    set_threshold  {rule, value}                                  a risk-rule threshold (supervision)
    set_validator  {pub_key (ed25519, hex), power, name?, org_id?}  the validator set (power 0 removes)

Who votes: any ACTIVE member organisation may propose. The electorate is the set of
ACTIVE organisations when the proposal is made (a snapshot: organisations admitted
later do not vote on it, and a removed one cannot sign at all). Each organisation
votes once, yes or no (any of its members' certificates signs for it). When the yes
votes reach two thirds of the electorate, ceil(2n/3), the proposal is executed in that
same vote transaction. Proposing is not voting: the proposer votes like everyone else.

Execution can fail although the proposal was valid when made (the last validator was
removed meanwhile, the organisation was admitted by the exchange directly, ...). The
deciding vote is then still counted, the proposal is PASSED with the execution's
error on record, and `execute(proposal)` by any member retries it (until the voting
period ends); a retry that fails again is refused with that error and changes
nothing. `execute` on a proposal without its majority is refused (`invalid_state`).
A proposal is checked by executing it on a scratch copy of the state when it is
made, so one that could not be executed then (bad certificate, unknown rule, last
validator, last EXCHANGE or REGULATOR, ...) is refused at once with the same code.

A proposal whose no votes make the majority unreachable is REJECTED; one still OPEN
or PASSED when its voting period (genesis `contracts.governance.voting_period`,
seconds, default 7 days; block time) ends is EXPIRED.

Validators. The governance state holds the current validator set, seeded from the
genesis document's `validators` (under CometBFT the same list is CometBFT's genesis
validator set: InitChain checks that they agree; for the solo engine it is normally
empty and nothing consults it). A `set_validator` execution changes the set and
appends the change to `updates/<height>`, which the Application reports as the block's
`validator_updates` (ABCI FinalizeBlock), so every node reports the same changes for
the same block; CometBFT applies them at height H+2. A change that would leave no
validator is refused, and so is removing a key that is not a validator (CometBFT
would halt on it).

State (under `governance/`):

    config               {voting_period}
    validators           [{pub_key (hex), key_type, power, name, org_id}] in key order: the current set
    proposal/<id>        kind, params, proposer, electorate, votes {org: yes?}, need, status, error, result
    updates/<height>     [[key_type, pub_key hex, power], ...] in key order: validator changes of that block
    due/<day>, cursor    proposals whose voting period ends on that day (see contracts/deadlines.py)
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.errors import (
    BadRequest,
    ContractError,
    Duplicate,
    Expired,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.runtime import Contract, Ctx, QueryCtx, query, register, tx

DAY = 86_400
DEFAULT_VOTING_PERIOD = 7 * DAY
MIN_VOTING_PERIOD = 60
MAX_VOTING_PERIOD = 366 * DAY
MAX_VALIDATORS = 100
MAX_POWER = 10**12  # CometBFT caps the total voting power at 2^60; this keeps a long way below it
MAX_ELECTORATE = 1000
MAX_SUMMARY = 1000
KEY_TYPE = "ed25519"
UPDATES = "updates/{height}"  # read by faechain.application (VALIDATOR_UPDATES_KEY)

OPEN, EXECUTED, PASSED, REJECTED, EXPIRED = "OPEN", "EXECUTED", "PASSED", "REJECTED", "EXPIRED"

# kind -> {parameter: (type, required)}
KINDS: dict[str, dict[str, tuple[type, bool]]] = {
    "admit_org": {"org_id": (str, True), "name": (str, True), "type": (str, True), "ca": (str, True),
                  "attributes": (dict, False)},
    "revoke_cert": {"cert_id": (str, True), "org_id": (str, False), "reason": (str, False)},
    "remove_org": {"org_id": (str, True), "reason": (str, False)},
    "set_threshold": {"rule": (str, True), "value": (int, True)},
    "set_validator": {"pub_key": (str, True), "power": (int, True), "name": (str, False), "org_id": (str, False)},
}


def need_for(electorate: int) -> int:
    """Yes votes that carry a proposal: two thirds of the electorate, rounded up."""
    return (2 * electorate + 2) // 3


def _params(kind: str, params: dict) -> dict:
    """The parameters of a `kind` proposal, checked for presence and type (content is
    checked by executing the proposal on a scratch copy of the state)."""
    spec = KINDS.get(kind)
    ensure(spec is not None, BadRequest(f"unknown proposal kind {kind!r}; one of {', '.join(KINDS)}"))
    unknown = sorted(set(params) - set(spec))
    ensure(not unknown, BadRequest(f"unknown parameter(s) {unknown} for a {kind} proposal"))
    out = {}
    for name, (typ, required) in spec.items():
        v = params.get(name)
        if v is None:
            ensure(not required, BadRequest(f"a {kind} proposal needs {name!r}"))
            continue
        ensure(type(v) is typ, BadRequest(f"parameter {name!r} must be {'text' if typ is str else typ.__name__}"))
        ensure(typ is not str or len(v) <= 8192, BadRequest(f"parameter {name!r} is too long"))
        out[name] = v
    return out


def _pub_key(hex_key: str) -> str:
    try:
        raw = bytes.fromhex(hex_key)
    except ValueError:
        raw = b""
    ensure(len(raw) == 32 and hex_key == raw.hex(),
           BadRequest("pub_key must be an ed25519 public key: 64 lowercase hex characters"))
    return hex_key


def _config(ctx) -> dict:
    return ctx.state.get("config") or {"voting_period": DEFAULT_VOTING_PERIOD}


def _proposal(ctx: Ctx, proposal_id: str) -> dict:
    p = ctx.state.get(f"proposal/{proposal_id}")
    ensure(p is not None, NotFound(f"proposal {proposal_id!r} not found"))
    return p


# -- executing a proposal ------------------------------------------------------------------
class _Scratch:
    """Writes held back over a transaction's state: kept by `keep()`, else dropped.

    Lets a vote count even when the execution it triggers fails, and lets a proposal
    be tried out when it is made. (A candidate for the runtime as `ctx.savepoint()`.)
    """

    def __init__(self, base):
        self.base = base
        self.writes: dict[bytes, bytes | None] = {}

    def get_raw(self, key: bytes) -> bytes | None:
        return self.writes[key] if key in self.writes else self.base.get_raw(key)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        self.writes[key] = value

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        pending = {k: v for k, v in self.writes.items() if k.startswith(prefix)}
        merged = dict(self.base.scan_raw(prefix, None if limit is None else limit + len(pending)))
        merged.update(pending)
        rows = sorted((k, v) for k, v in merged.items() if v is not None)
        return rows if limit is None else rows[:limit]

    def keep(self) -> None:
        for key in sorted(self.writes):
            self.base.put_raw(key, self.writes[key])


def _attempt(ctx: Ctx, run: Callable[[Ctx], Any], keep: bool) -> tuple[Any, ContractError | None]:
    """Run `run` on a scratch copy of the transaction's state: (result, None), its writes
    and events kept only if `keep`; or (None, the ContractError it raised), nothing kept."""
    scratch = _Scratch(ctx._access)
    sub = Ctx(ctx.contract, ctx.caller, ctx.time_ms, ctx.height, ctx.tx_hash, ctx.tx_index, scratch, ctx.chain,
              ctx.suite, ctx._contracts, ctx.via, ctx._scope, ctx._depth)
    mark = len(ctx.events)
    try:
        result = run(sub)
    except ContractError as exc:
        del ctx.events[mark:]
        return None, exc
    if keep:
        scratch.keep()
    else:
        del ctx.events[mark:]
    return result, None


def _execute(ctx: Ctx, p: dict) -> Any:
    """Carry out proposal `p` (raises a ContractError if it cannot be done)."""
    kind, a, pid = p["kind"], p["params"], p["id"]
    if kind == "admit_org":
        return ctx.call("membership", "admit_by_vote", org_id=a["org_id"], name=a["name"], type=a["type"],
                        ca=a["ca"], attributes=a.get("attributes") or {})
    if kind == "revoke_cert":
        return ctx.call("membership", "revoke_by_vote", cert_id=a["cert_id"], org_id=a.get("org_id"),
                        reason=a.get("reason") or f"governance proposal {pid}")
    if kind == "remove_org":
        return ctx.call("membership", "remove_by_vote", org_id=a["org_id"],
                        reason=a.get("reason") or f"governance proposal {pid}")
    if kind == "set_threshold":
        return ctx.call("supervision", "set_rule", rule=a["rule"], value=a["value"])
    if kind == "set_validator":
        return _set_validator(ctx, a)
    raise BadRequest(f"unknown proposal kind {kind!r}")


def _set_validator(ctx: Ctx, a: dict) -> dict:
    key, power = _pub_key(a["pub_key"]), a["power"]
    ensure(0 <= power <= MAX_POWER, BadRequest(f"power must be 0 .. {MAX_POWER} (0 removes the validator)"))
    vals = {v["pub_key"]: v for v in ctx.state.get("validators") or []}
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
            org = ctx.read("membership", f"org/{org_id}")
            ensure(org is not None and org["status"] == "ACTIVE",
                   NotFound(f"organisation {org_id!r} is not a consortium member"))
        vals[key] = {"pub_key": key, "key_type": KEY_TYPE, "power": power,
                     "name": a.get("name", current["name"] if current else ""), "org_id": org_id}
    ctx.state.put("validators", [vals[k] for k in sorted(vals)])
    # every change of this block, one entry per key (CometBFT refuses duplicates), in key order
    slot = UPDATES.format(height=ctx.height)
    changes = {k: [t, k, pw] for t, k, pw in ctx.state.get(slot) or []}
    changes[key] = [KEY_TYPE, key, power]
    ctx.state.put(slot, [changes[k] for k in sorted(changes)])
    ctx.emit("ValidatorChanged", pub_key=key, power=power, previous=current["power"] if current else 0)
    return {"pub_key": key, "power": power, "validators": len(vals)}


def _finish(ctx: Ctx, p: dict) -> None:
    """Execute a proposal that has its majority: EXECUTED, or PASSED with the error."""
    result, error = _attempt(ctx, lambda sub: _execute(sub, p), keep=True)
    if error is None:
        p.update(status=EXECUTED, executed_at=ctx.time, result=result, error=None)
        ctx.emit("ProposalExecuted", proposal=p["id"], kind=p["kind"])
    else:
        p.update(status=PASSED, error={"code": error.code, "message": error.message})
        ctx.emit("ProposalExecutionFailed", proposal=p["id"], kind=p["kind"], code=error.code,
                 message=error.message)


@register
class Governance(Contract):
    name = "governance"
    indexes = {"proposal": ("status", "kind", "proposer")}

    def genesis(self, ctx: Ctx, config: dict) -> None:
        period = config.get("voting_period", DEFAULT_VOTING_PERIOD)
        if type(period) is not int or not MIN_VOTING_PERIOD <= period <= MAX_VOTING_PERIOD:
            raise ValueError(f"governance voting_period must be {MIN_VOTING_PERIOD} .. {MAX_VOTING_PERIOD} seconds")
        ctx.state.put("config", {"voting_period": period})
        vals: dict[str, dict] = {}
        for v in config.get("validators") or []:
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
        ctx.state.put("validators", [vals[k] for k in sorted(vals)])

    # -- transactions -----------------------------------------------------------------------------
    @tx
    def propose(self, ctx: Ctx, kind: str, params: dict, summary: str = "") -> dict:
        """Propose a change to the consortium (any member organisation). It is tried out at
        once on a scratch copy of the state: what could not be executed now is refused."""
        a = _params(kind, params)
        ensure(len(summary) <= MAX_SUMMARY, BadRequest(f"summary is at most {MAX_SUMMARY} characters"))
        pid = ctx.new_id("G")
        p = {"id": pid, "kind": kind, "params": a}
        _, error = _attempt(ctx, lambda sub: _execute(sub, p), keep=False)
        if error is not None:
            raise error
        electorate = [o["id"] for o in ctx.call("membership", "active_orgs")]
        ensure(len(electorate) <= MAX_ELECTORATE, LimitExceeded(f"more than {MAX_ELECTORATE} voters"))
        expires = ctx.time + _config(ctx)["voting_period"]
        p.update(summary=summary, proposer=ctx.caller.org_id, proposed_by=ctx.caller.name, proposed_at=ctx.time,
                 expires=expires, electorate=electorate, need=need_for(len(electorate)), votes={}, yes=0, no=0,
                 status=OPEN, executed_at=None, result=None, error=None)
        ctx.state.put(f"proposal/{pid}", p)
        Deadlines(ctx.state).add(expires, pid)
        ctx.emit("ProposalCreated", proposal=pid, kind=kind, proposer=ctx.caller.org_id, need=p["need"],
                 electorate=len(electorate), expires=expires)
        return {"proposal": pid, "need": p["need"], "electorate": len(electorate), "expires": expires}

    @tx
    def vote(self, ctx: Ctx, proposal: str, approve: bool) -> dict:
        """The caller's organisation votes yes (`approve`) or no, once. The vote that brings
        the yes votes to two thirds of the electorate executes the proposal."""
        p = _proposal(ctx, proposal)
        org = ctx.caller.org_id
        ensure(p["status"] == OPEN, InvalidState(f"proposal {proposal} is {p['status']}; voting is closed"))
        ensure(ctx.time < p["expires"], Expired(f"the voting period of proposal {proposal} has ended"))
        ensure(org in p["electorate"],
               Unauthorized(f"{org} is not in the electorate of proposal {proposal} (the members when it was made)"))
        ensure(org not in p["votes"], Duplicate(f"{org} has already voted on proposal {proposal}"))
        p["votes"][org] = approve
        p["yes" if approve else "no"] += 1
        ctx.emit("Voted", proposal=proposal, org=org, approve=approve, yes=p["yes"], no=p["no"], need=p["need"])
        if p["yes"] >= p["need"]:
            _finish(ctx, p)
        elif p["no"] > len(p["electorate"]) - p["need"]:
            p["status"] = REJECTED
            ctx.emit("ProposalRejected", proposal=proposal, yes=p["yes"], no=p["no"])
        ctx.state.put(f"proposal/{proposal}", p)
        return {"proposal": proposal, "status": p["status"], "yes": p["yes"], "no": p["no"], "need": p["need"],
                "error": p["error"]}

    @tx
    def execute(self, ctx: Ctx, proposal: str) -> dict:
        """Retry a proposal that has its majority but whose execution failed (any member).
        Refused without a majority; a retry that fails again changes nothing."""
        p = _proposal(ctx, proposal)
        if p["status"] == OPEN:
            raise InvalidState(f"proposal {proposal} has {p['yes']} of the {p['need']} yes votes it needs: "
                               "no majority to execute")
        ensure(p["status"] == PASSED, InvalidState(f"proposal {proposal} is {p['status']}; nothing to execute"))
        ensure(ctx.time < p["expires"], Expired(f"the voting period of proposal {proposal} has ended"))
        result = _execute(ctx, p)  # a failure rejects the whole transaction
        p.update(status=EXECUTED, executed_at=ctx.time, result=result, error=None)
        ctx.state.put(f"proposal/{proposal}", p)
        ctx.emit("ProposalExecuted", proposal=proposal, kind=p["kind"])
        return {"proposal": proposal, "status": EXECUTED}

    def end_block(self, ctx: Ctx) -> None:
        """Proposals whose voting period ended while OPEN or PASSED become EXPIRED."""
        for _, pid in Deadlines(ctx.state).take(ctx.time):
            p = ctx.state.get(f"proposal/{pid}")
            if p is not None and p["status"] in (OPEN, PASSED):
                p["status"] = EXPIRED
                ctx.state.put(f"proposal/{pid}", p)
                ctx.emit("ProposalExpired", proposal=pid, kind=p["kind"], yes=p["yes"], need=p["need"])

    # -- queries --------------------------------------------------------------------------------
    @query
    def proposal(self, q: QueryCtx, id: str) -> dict:
        """One proposal with its votes (every member sees every proposal)."""
        p = q.state.get(f"proposal/{id}")
        if p is None:
            raise NotFound(f"proposal {id!r} not found")
        return p

    @query
    def proposals(self, q: QueryCtx, status: str | None = None, kind: str | None = None,
                  proposer: str | None = None) -> list:
        """Proposals by status (default OPEN), kind or proposer, oldest first."""
        if status is None and kind is None and proposer is None:
            status = OPEN
        if kind is not None:
            rows = q.find("proposal", "kind", kind)
        elif proposer is not None:
            rows = q.find("proposal", "proposer", proposer)
        else:
            rows = q.find("proposal", "status", status)
        out = [p for _, p in rows if (status is None or p["status"] == status)
               and (kind is None or p["kind"] == kind) and (proposer is None or p["proposer"] == proposer)]
        return sorted(out, key=lambda p: (p["proposed_at"], p["id"]))

    @query
    def validators(self, q: QueryCtx) -> dict:
        """The validator set as governance holds it (what CometBFT runs from two blocks after a change)."""
        vals = q.state.get("validators") or []
        return {"validators": vals, "total_power": sum(v["power"] for v in vals),
                "voting_period": _config(q)["voting_period"]}
