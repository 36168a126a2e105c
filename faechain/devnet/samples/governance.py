"""The governance sample of `fae demo`: two proposals carried by a vote, one still open.

1. The exchange proposes to admit Tianjin Binhai Commercial Factoring (`factor2`, a
   FACTOR) with its organisation CA; two thirds of the 22 member organisations (15)
   vote yes and the 15th vote admits it. Its CA and an admin identity are made in the
   demo home (`ca/factor2`, `wallet/factor2`), so it can sign like any other member.
2. With the supervision module present, the regulator proposes to lower the
   large-transfer alert threshold to CNY 5,000,000; it passes the same way (16 of
   the now 23 members).
3. Also with supervision: the regulator's proposal to alert at 150 product holders
   instead of 180 is still OPEN, with a few votes cast (one against).
"""

from __future__ import annotations

import os
import tempfile

from faechain.devnet.demo import MEMBERS, Samples, demo_org_id
from faechain.identity.ca import create_org_ca, issue_identity, load_org_ca

YUAN = 100
NEW_MEMBER = "factor2"
NEW_ORG_NAME = "Tianjin Binhai Commercial Factoring Co., Ltd."
VOTERS = [m.name for m in MEMBERS]


def _home(samples: Samples) -> str | None:
    """The demo home, whose wallet gets the new member's identity: `fae demo` seeds through
    its node's `submit_as`, which knows it; anything else gets a throwaway directory."""
    home = getattr(samples, "home", None) or getattr(getattr(samples.submit, "__self__", None), "home", None)
    return home if isinstance(home, str) and os.path.isdir(home) else None


def _new_member_ca(samples: Samples):
    home = _home(samples) or tempfile.mkdtemp(prefix="fae-governance-demo-")
    ca_dir = os.path.join(home, "ca", NEW_MEMBER)
    if os.path.exists(os.path.join(ca_dir, "ca.pem")):
        ca = load_org_ca(ca_dir)
    else:
        ca = create_org_ca(ca_dir, demo_org_id(len(MEMBERS) + 1), NEW_ORG_NAME, "FACTOR",
                           getattr(samples, "suite", "ed25519"))  # the chain's suite
    wallet = os.path.join(home, "wallet")
    if not os.path.exists(os.path.join(wallet, NEW_MEMBER, "key.pem")):
        issue_identity(ca, wallet, NEW_MEMBER, {"admin": True})
    return ca


def _carry(samples: Samples, proposed: dict, voters: list[str]) -> None:
    """Yes votes from as many members as the proposal needs (two thirds of its electorate);
    the last of them executes it."""
    for who in voters[:proposed["need"]]:
        result = samples.tx(who, "governance", "vote", proposal=proposed["proposal"], approve=True)
    if result["status"] != "EXECUTED":
        raise RuntimeError(f"demo seed: governance proposal {proposed['proposal']} is {result['status']}: "
                           f"{result['error']}")


def seed(samples: Samples) -> dict:
    """Submit the sample as signed transactions; returns the proposals it made."""
    out: dict = {}
    ca = _new_member_ca(samples)
    admit = samples.tx("exchange", "governance", "propose", kind="admit_org",
                       summary="Admit Tianjin Binhai Commercial Factoring as a factoring member",
                       params={"org_id": ca.org_id, "name": ca.name, "type": "FACTOR", "ca": ca.cert_pem})
    _carry(samples, admit, VOTERS)
    out.update(admitted=ca.org_id, admit_proposal=admit["proposal"])

    if "supervision" in samples.results:
        lower = samples.tx("regulator", "governance", "propose", kind="set_threshold",
                           summary="Alert the regulator on transfers above CNY 5,000,000 (was 10,000,000)",
                           params={"rule": "large_transfer", "value": 5_000_000 * YUAN})
        _carry(samples, lower, VOTERS + [NEW_MEMBER])  # 20 members now: 14 yes votes
        pending = samples.tx("regulator", "governance", "propose", kind="set_threshold",
                             summary="Warn at 150 product holders instead of 180",
                             params={"rule": "holders_near_limit", "value": 150})
        for who, approve in (("regulator", True), ("exchange", True), ("registrar", True), ("factor", False)):
            samples.tx(who, "governance", "vote", proposal=pending["proposal"], approve=approve)
        out.update(threshold_proposal=lower["proposal"], open_proposal=pending["proposal"])
    return out
