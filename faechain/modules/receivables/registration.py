"""The registry agent's word on a financing (docs/outside-world.md, "Registration").

The funder files the pledge or transfer registration at the movable-property registry (中登网)
and records its number (`record_registration`, financing.py). A REGISTRY_AGENT member then
attests what the registry holds:

    attest_registration(financing, reg_no, kind, creditor, debtor, amount, voucher)
        what is registered under the number: the kind (ASSIGNMENT or PLEDGE), the creditor (the
        funder: 受让人/质权人), the debtor (the holder: 转让人/出质人), the amount and the piece
    attest_search(financing, search_no, earlier)
        the search it made for earlier registrations on the same receivable (none: clear)
    attest_release(financing, reference)
        the registration released, once the financed piece was paid (RegistrationReleaseDue)

While the rule `registration_before_funding` is 1, `fund` requires an attestation equal to the
financing in every field and a clear search (`funding_refusal`, called by fund). A registration
that differs, or a search that finds earlier registrations, is recorded and raises an alert
(RegistrationMismatch) at once, so the regulator hears of it before anyone tries to fund.

The debtor (the voucher's payer) is told of the assignment or pledge when the financing is
funded (`fund` records the notice, DebtorNotified) and may acknowledge it (`acknowledge_notice`).
"""

from __future__ import annotations

from typing import Any

from faechain.contracts import validators
from faechain.contracts.errors import BadRequest, Duplicate, InvalidState, Unauthorized, ensure
from faechain.contracts.runtime import Ctx, tx
from faechain.modules.receivables.records import (
    ASSIGNMENT,
    CANCELLABLE,
    FINANCING_KINDS,
    FUNDED,
    REGISTERED,
    Attestation,
    Financing,
    Voucher,
    financing_key,
)

MAX_NUMBER = 64  # characters of a registration, search or release number
MAX_EARLIER = 50  # earlier registrations one search may name

# the fields an attestation must share with its financing: (attestation field, financing field)
MATCHED = (("reg_no", "registration"), ("kind", "kind"), ("creditor", "funder"), ("debtor", "holder"),
           ("amount", "amount"), ("voucher", "voucher"))


def _load(ctx: Ctx, financing: str) -> Financing:
    f: Financing = ctx.state.require(financing_key(financing), "financing")
    return f


def kind_of(f: Financing) -> str:
    """ASSIGNMENT or PLEDGE (a financing made before there were kinds is an assignment)."""
    return f.get("kind", ASSIGNMENT)


def differences(f: Financing, a: Attestation) -> list[str]:
    """The attestation's fields that differ from the financing's, in MATCHED order."""
    want: dict[str, Any] = {**f, "kind": kind_of(f)}
    return [field for field, own in MATCHED if a[field] != want[own]]  # type: ignore[literal-required]


def funding_refusal(f: Financing) -> None:
    """Refuse funding `f` unless the registry agent attested a matching registration and a clear
    search; the refusal names the field that differs, or the earlier registrations found."""
    fid = f["id"]
    a = f.get("attestation")
    ensure(a is not None, InvalidState(f"financing {fid} awaits the registry agent's attestation of "
                                       f"registration {f['registration']}"))
    assert a is not None
    want: dict[str, Any] = {**f, "kind": kind_of(f)}
    for field, own in MATCHED:
        got, expected = a[field], want[own]  # type: ignore[literal-required]
        if got == expected:
            continue
        if field == "amount":
            raise InvalidState(f"the registry attests {got} fen under registration {a['reg_no']}; "
                               f"financing {fid} is for {expected} fen")
        raise InvalidState(f"the registry attests {field} {got!r} under registration {a['reg_no']}; "
                           f"financing {fid} has {expected!r}")
    search = f.get("search")
    ensure(search is not None, InvalidState(f"financing {fid} awaits the registry agent's search for earlier "
                                            "registrations"))
    assert search is not None
    ensure(not search["earlier"],
           InvalidState(f"the registry search {search['search_no']} found earlier registration(s) "
                        f"{', '.join(search['earlier'])} on this receivable"))


def release_due(ctx: Ctx, piece: Voucher) -> None:
    """A financed or pledged piece was paid in full: ask the registry agent to release its
    registration (RegistrationReleaseDue), once per financing. Called by the payment leg."""
    fid = piece.get("financing")
    if not fid:
        return
    f: Financing | None = ctx.state.get(financing_key(fid))
    if f is None or f["status"] != FUNDED or "release_due" in f:
        return
    f["release_due"] = ctx.time
    ctx.state.put(financing_key(fid), f)
    ctx.emit("RegistrationReleaseDue", financing=fid, registration=f["registration"], funder=f["funder"])


def _registry_agent(ctx: Ctx) -> None:
    ensure(ctx.caller.role == "REGISTRY_AGENT", Unauthorized("only the registry agent attests registrations"))


def _searchable(f: Financing) -> None:
    ensure(f["status"] in CANCELLABLE,
           InvalidState(f"financing {f['id']} is {f['status']}; the registry attests before funding"))


class RegistrationSteps:
    @tx
    def attest_registration(self, ctx: Ctx, financing: str, reg_no: str, kind: str, creditor: str, debtor: str,
                            amount: int, voucher: str) -> dict[str, Any]:
        """The registry agent attests what the registry holds under a registration number."""
        _registry_agent(ctx)
        validators.text(reg_no, "registration number", MAX_NUMBER)
        validators.one_of(kind, FINANCING_KINDS, "kind")
        validators.amount(amount)
        f = _load(ctx, financing)
        ensure(f["status"] == REGISTERED,
               InvalidState(f"financing {financing} is {f['status']}; the registry attests the registration the "
                            "funder recorded, before funding"))
        a: Attestation = {"reg_no": reg_no, "kind": kind, "creditor": creditor, "debtor": debtor, "amount": amount,
                          "voucher": voucher, "by": ctx.caller.org_id, "at": ctx.time}
        f["attestation"] = a
        ctx.state.put(financing_key(financing), f)
        ctx.emit("RegistrationAttested", financing=financing, registration=reg_no)
        wrong = differences(f, a)
        if wrong:
            ctx.emit("RegistrationMismatch", financing=financing, voucher=f["voucher"], registration=reg_no,
                     fields=wrong, earlier=[])
        return {"financing": financing, "matches": not wrong}

    @tx
    def attest_search(self, ctx: Ctx, financing: str, search_no: str, earlier: list[str]) -> dict[str, Any]:
        """The registry agent attests its search for earlier registrations on the receivable."""
        _registry_agent(ctx)
        validators.text(search_no, "search number", MAX_NUMBER)
        ensure(len(earlier) <= MAX_EARLIER, BadRequest(f"a search names at most {MAX_EARLIER} earlier registrations"))
        for number in earlier:
            validators.text(number, "registration number", MAX_NUMBER)
        ensure(len(set(earlier)) == len(earlier), Duplicate("an earlier registration is named twice"))
        f = _load(ctx, financing)
        _searchable(f)
        f["search"] = {"search_no": search_no, "earlier": list(earlier), "by": ctx.caller.org_id, "at": ctx.time}
        ctx.state.put(financing_key(financing), f)
        ctx.emit("SearchAttested", financing=financing, search=search_no, earlier=len(earlier))
        if earlier:
            ctx.emit("RegistrationMismatch", financing=financing, voucher=f["voucher"], registration=f["registration"],
                     fields=[], earlier=list(earlier))
        return {"financing": financing, "clear": not earlier}

    @tx
    def attest_release(self, ctx: Ctx, financing: str, reference: str) -> dict[str, Any]:
        """The registry agent records that the registration of a funded financing was released."""
        _registry_agent(ctx)
        validators.text(reference, "reference", MAX_NUMBER)
        f = _load(ctx, financing)
        ensure(f["status"] == FUNDED, InvalidState(f"financing {financing} is {f['status']}; only a funded "
                                                   "financing's registration is released"))
        ensure("release" not in f, Duplicate(f"the registration of financing {financing} is already released"))
        f["release"] = {"reference": reference, "by": ctx.caller.org_id, "at": ctx.time}
        ctx.state.put(financing_key(financing), f)
        ctx.emit("RegistrationReleased", financing=financing, registration=f["registration"], reference=reference)
        return {"financing": financing}

    @tx
    def acknowledge_notice(self, ctx: Ctx, financing: str) -> dict[str, Any]:
        """The debtor (the voucher's payer) acknowledges the notice of the assignment or pledge."""
        f = _load(ctx, financing)
        notice = f.get("notice")
        ensure(notice is not None and notice["to"] == ctx.caller.org_id,
               Unauthorized("only the notified debtor acknowledges a notice"))
        assert notice is not None
        ensure("acknowledged_at" not in notice, Duplicate(f"the notice of financing {financing} is already "
                                                          "acknowledged"))
        notice["acknowledged_at"] = ctx.time
        ctx.state.put(financing_key(financing), f)
        ctx.emit("NoticeAcknowledged", financing=financing, debtor=ctx.caller.org_id)
        return {"financing": financing}
