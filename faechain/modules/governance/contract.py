"""The `governance` contract: the consortium changes itself by a two-thirds vote (domain.md section 5).

A proposal is one of six kinds, with its parameters (`propose(kind, params, summary)`):

    admit_org      {org_id, name, type, ca (PEM or DER), attributes?}  a new member organisation and its CA
    revoke_cert    {cert_id (hex), org_id?, reason?}              a member certificate stops signing
    remove_org     {org_id, reason?}                              an organisation is REMOVED
    set_threshold  {rule, value}                                  a risk-rule threshold (supervision)
    set_rule       {contract, rule, value}                        a rule of receivables (rules.py: tenor, the cap
                                                                  on unverified invoices, ...) or supervision
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
appends the change to `updates/<height>`, which the chain reports as the block's
`validator_updates` (ABCI FinalizeBlock), so every node reports the same changes for
the same block; CometBFT applies them at height H+2. A change that would leave no
validator is refused, and so is removing a key that is not a validator (CometBFT
would halt on it).

A proposal's states:

    OPEN -> EXECUTED, or PASSED (execution failed) -> EXECUTED (execute); OPEN -> REJECTED;
    OPEN or PASSED -> EXPIRED (end of the voting period)

Where things are:

    records.py         the state keys and records, the kinds of proposal, the states, the limits
    steps.py           genesis, propose, vote, execute, and how each kind of proposal is carried out
    validator_set.py   the validator set: genesis validators and `set_validator` executions
    end_block.py       proposals whose voting period ends
    queries.py         proposal, proposals, validators
"""

from __future__ import annotations

from faechain.contracts.runtime import Contract, register
from faechain.modules.governance.end_block import EndOfBlock
from faechain.modules.governance.queries import Queries
from faechain.modules.governance.reading import ReadRules
from faechain.modules.governance.records import NAME
from faechain.modules.governance.steps import Genesis, Steps


@register
class Governance(Genesis, Steps, EndOfBlock, Queries, ReadRules, Contract):
    name = NAME
    indexes = {"proposal": ("status", "kind", "proposer")}
