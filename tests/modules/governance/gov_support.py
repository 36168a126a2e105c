"""`Gov`: the governance contract on a demo chain (19 member organisations: 13 yes votes
carry a proposal) with genesis validators of our choosing.

If the real `supervision` contract is not there, `stand_in_supervision()` registers a small
stand-in of that name (only its `set_rule`), so that `set_threshold` proposals can execute.
"""

from __future__ import annotations

import base64
import shutil

from faechain.contracts.errors import BadRequest, Unauthorized, ensure
from faechain.contracts.runtime import REGISTRY, Contract, Ctx, internal, register
from faechain.core.genesis import Genesis
from faechain.devnet.demo import MEMBERS
from faechain.node.config import paths
from tests.modules.conftest import open_demo_chain
from tests.modules.driver import Driver

VAL_A, VAL_B, VAL_C = "0a" * 32, "0b" * 32, "0c" * 32
VOTERS = [m.name for m in MEMBERS]  # every demo organisation, in consortium order
NEED = -(-2 * len(VOTERS) // 3)  # ceil(2n/3) of every demo organisation
RULE = "large_transfer"  # a risk rule of supervision (rules.DEFAULTS)


class Gov(Driver):
    contract = "governance"

    def propose(self, kind: str, who: str = "exchange", summary: str = "", **params) -> str:
        return self.ok(who, "propose", kind=kind, params=params, summary=summary)["proposal"]

    def votes(self, pid: str, voters: list[str], approve: bool = True):
        """Every voter votes in one block; their receipts."""
        res = self.c.block([self.c.sign(v, "governance", "vote", {"proposal": pid, "approve": approve})
                            for v in voters])
        assert all(r.ok for r in res.receipts), [(r.code, r.message) for r in res.receipts]
        return res

    def to_brink(self, pid: str) -> None:
        """One yes vote short of the majority (the first NEED - 1 organisations)."""
        self.votes(pid, VOTERS[:NEED - 1])
        assert self.get(f"proposal/{pid}")["status"] == "OPEN"

    def decide(self, pid: str, who: str = VOTERS[NEED - 1]):
        """The deciding yes vote, alone in its block: (receipt, block result)."""
        res = self.c.block([self.c.sign(who, "governance", "vote", {"proposal": pid, "approve": True})])
        r = res.receipts[0]
        assert r.ok, (r.code, r.message)
        return r, res

    def pass_(self, pid: str):
        self.to_brink(pid)
        return self.decide(pid)

    def proposal(self, pid: str) -> dict:
        return self.get(f"proposal/{pid}")

    def validators(self) -> dict[str, int]:
        return {v["pub_key"]: v["power"] for v in self.get("validators")}


def stand_in_supervision() -> bool:
    """Register a stand-in `supervision` (only `set_rule`) if the real one is absent; True if registered."""
    import faechain.modules  # noqa: F401 - registers whatever real modules there are

    if "supervision" in REGISTRY:
        return False

    @register
    class SupervisionStandIn(Contract):
        name = "supervision"

        @internal
        def set_rule(self, ctx: Ctx, rule: str, value: int) -> dict:
            ensure(ctx.via == "governance", Unauthorized("risk thresholds change only by a governance vote"))
            ensure(rule == RULE, BadRequest(f"unknown risk rule {rule!r}"))
            ensure(value >= 0, BadRequest("a threshold is >= 0"))
            ctx.state.put("rules", {**(ctx.state.get("rules") or {}), rule: value})
            return {"rule": rule, "value": value}

    return True


def gov_chain(template: str, home: str, validators=(VAL_A, VAL_B), governance: dict | None = None):
    shutil.copytree(template, home)
    p = paths(home)
    g = Genesis.load(p["genesis"])
    g.validators = [{"name": f"v{i}", "org_id": None, "key_type": "ed25519",
                     "pub_key": base64.b64encode(bytes.fromhex(k)).decode(), "power": 10}
                    for i, k in enumerate(validators)]
    if governance is not None:
        g.contracts["governance"] = governance
    g.save(p["genesis"])
    return open_demo_chain(home)
