"""Proposing, voting and executing: how a proposal is made, counted and carried out (and genesis)."""

from __future__ import annotations

from typing import Any

from faechain.contracts.deadlines import Deadlines
from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    Expired,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.runtime import Ctx, QueryCtx, tx
from faechain.modules.governance.records import (
    CONFIG_KEY,
    DEFAULT_VOTING_PERIOD,
    EXECUTED,
    KINDS,
    MAX_ELECTORATE,
    MAX_PARAMETER,
    MAX_SUMMARY,
    MAX_VOTING_PERIOD,
    MIN_VOTING_PERIOD,
    OPEN,
    PASSED,
    REJECTED,
    RULE_CONTRACTS,
    VALIDATORS_KEY,
    Config,
    Proposal,
    need_for,
    proposal_key,
)
from faechain.modules.governance.validator_set import genesis_validators, set_validator


def current_config(ctx: Ctx | QueryCtx) -> Config:
    """The voting period in force (genesis's, or the default)."""
    stored: Config | None = ctx.state.get(CONFIG_KEY)
    return stored or {"voting_period": DEFAULT_VOTING_PERIOD}


def _params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a `kind` proposal, checked for presence and type (content is
    checked by executing the proposal on a scratch copy of the state)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise BadRequest(f"unknown proposal kind {kind!r}; one of {', '.join(KINDS)}")
    unknown = sorted(set(params) - set(spec))
    ensure(not unknown, BadRequest(f"unknown parameter(s) {unknown} for a proposal of kind {kind}"))
    out = {}
    for name, (typ, required) in spec.items():
        v = params.get(name)
        if v is None:
            ensure(not required, BadRequest(f"a proposal of kind {kind} needs {name!r}"))
            continue
        allowed = typ if isinstance(typ, tuple) else (typ,)
        ensure(type(v) in allowed, BadRequest(f"parameter {name!r} must be {' or '.join(map(_type_name, allowed))}"))
        ensure(type(v) not in (str, bytes) or len(v) <= MAX_PARAMETER, BadRequest(f"parameter {name!r} is too long"))
        out[name] = v
    return out


def _type_name(typ: type) -> str:
    return "text" if typ is str else "a byte string" if typ is bytes else typ.__name__


def _proposal(ctx: Ctx, proposal_id: str) -> Proposal:
    p: Proposal | None = ctx.state.get(proposal_key(proposal_id))
    if p is None:
        raise NotFound(f"proposal {proposal_id!r} not found")
    return p


# -- executing a proposal ------------------------------------------------------------------
def _execute(ctx: Ctx, pid: str, kind: str, a: dict[str, Any]) -> Any:
    """Carry out proposal `pid` of `kind` with parameters `a` (raises a ContractError if it cannot be done)."""
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
    if kind == "set_rule":
        ensure(a["contract"] in RULE_CONTRACTS,
               BadRequest(f"contract {a['contract']!r} has no rules a vote sets; one of {', '.join(RULE_CONTRACTS)}"))
        return ctx.call(a["contract"], "set_rule", rule=a["rule"], value=a["value"])
    if kind == "set_validator":
        return set_validator(ctx, a)
    raise BadRequest(f"unknown proposal kind {kind!r}")


def _finish(ctx: Ctx, p: Proposal) -> None:
    """Execute a proposal that has its majority: EXECUTED, or PASSED with the error."""
    result, error = ctx.attempt(lambda sub: _execute(sub, p["id"], p["kind"], p["params"]), keep=True)
    if error is None:
        p["status"], p["executed_at"], p["result"], p["error"] = EXECUTED, ctx.time, result, None
        ctx.emit("ProposalExecuted", proposal=p["id"], kind=p["kind"])
    else:
        p["status"], p["error"] = PASSED, {"code": error.code, "message": error.message}
        ctx.emit("ProposalExecutionFailed", proposal=p["id"], kind=p["kind"], code=error.code,
                 message=error.message)


class Genesis:
    def genesis(self, ctx: Ctx, config: dict) -> None:
        period = config.get("voting_period", DEFAULT_VOTING_PERIOD)
        if type(period) is not int or not MIN_VOTING_PERIOD <= period <= MAX_VOTING_PERIOD:
            raise ValueError(f"governance voting_period must be {MIN_VOTING_PERIOD} .. {MAX_VOTING_PERIOD} seconds")
        stored: Config = {"voting_period": period}
        ctx.state.put(CONFIG_KEY, stored)
        ctx.state.put(VALIDATORS_KEY, genesis_validators(config.get("validators") or []))


class Steps:
    @tx
    def propose(self, ctx: Ctx, kind: str, params: dict, summary: str = "") -> dict:
        """Propose a change to the consortium (any member organisation). It is tried out at
        once on a scratch copy of the state: what could not be executed now is refused. The
        `ca` of an admit_org is the CA certificate as PEM (text or bytes) or DER bytes."""
        a = _params(kind, params)
        ensure(len(summary) <= MAX_SUMMARY, BadRequest(f"summary is at most {MAX_SUMMARY} characters"))
        pid = ctx.new_id("G")
        _, error = ctx.attempt(lambda sub: _execute(sub, pid, kind, a), keep=False)
        if error is not None:
            raise error
        electorate = [o["id"] for o in ctx.call("membership", "active_orgs")]
        ensure(len(electorate) <= MAX_ELECTORATE, LimitExceeded(f"more than {MAX_ELECTORATE} voters"))
        expires = ctx.time + current_config(ctx)["voting_period"]
        p: Proposal = {
            "id": pid, "kind": kind, "params": a, "summary": summary, "proposer": ctx.caller.org_id,
            "proposed_by": ctx.caller.name, "proposed_at": ctx.time, "expires": expires, "electorate": electorate,
            "need": need_for(len(electorate)), "votes": {}, "yes": 0, "no": 0, "status": OPEN, "executed_at": None,
            "result": None, "error": None,
        }
        ctx.state.put(proposal_key(pid), p)
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
        if approve:
            p["yes"] += 1
        else:
            p["no"] += 1
        ctx.emit("Voted", proposal=proposal, org=org, approve=approve, yes=p["yes"], no=p["no"], need=p["need"])
        if p["yes"] >= p["need"]:
            _finish(ctx, p)
        elif p["no"] > len(p["electorate"]) - p["need"]:
            p["status"] = REJECTED
            ctx.emit("ProposalRejected", proposal=proposal, yes=p["yes"], no=p["no"])
        ctx.state.put(proposal_key(proposal), p)
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
        result = _execute(ctx, p["id"], p["kind"], p["params"])  # a failure rejects the whole transaction
        p["status"], p["executed_at"], p["result"], p["error"] = EXECUTED, ctx.time, result, None
        ctx.state.put(proposal_key(proposal), p)
        ctx.emit("ProposalExecuted", proposal=proposal, kind=p["kind"])
        return {"proposal": proposal, "status": EXECUTED}
