"""The `membership` contract: the consortium's organisations, certificates and revocations.

Seeded from genesis with every member organisation and its CA certificate. The
runtime consults it for every transaction: a signer is accepted only if its
certificate chains to an active member organisation's CA and is not revoked.

Two ways in and out. The exchange admits an organisation directly (`admit`, its role
as the market operator) and an organisation's CA or admin revokes its own
certificates (`revoke`). The consortium as a whole does the same by a governance
vote: the `governance` contract calls the `@internal` methods `admit_by_vote`,
`revoke_by_vote` and `remove_by_vote` (nothing else may), which apply the same
checks. Removing an organisation (status REMOVED) is only possible by vote; its
certificates stop signing at once (`not_member`), and the consortium never loses
its last EXCHANGE or REGULATOR.

    organisation:  ACTIVE (genesis, admit, admit_by_vote) -> REMOVED (remove_by_vote)
    certificate:   registered by the chain at its first transaction -> revoked (revoke,
                   revoke_by_vote); a certificate never used may be revoked in advance

An individual investor is admitted under a label that names no one; the exchange records the
person behind it with `register_person` (the commitment of a personal data document in the
vault), and may ask for that document's erasure, which the regulator approves
(`request_erasure`, `approve_erasure`, `reject_erasure`: faechain/contracts/personal.py).

Where things are:

    records.py   the state keys (also the full keys the chain authenticates signers against),
                 the records, and how an organisation record and a signer's attributes are made
    steps.py     genesis, admit, set_attributes, register_person, revoke, and the governance vote's methods
    queries.py   org, orgs, cert, whoami; the vault's questions about personal data documents
"""

from __future__ import annotations

from faechain.contracts.personal import PersonalDataSteps
from faechain.contracts.runtime import Contract, register
from faechain.modules.membership.queries import Queries
from faechain.modules.membership.reading import ReadRules
from faechain.modules.membership.records import NAME
from faechain.modules.membership.steps import Genesis, Steps


@register
class Membership(Genesis, Steps, Queries, ReadRules, PersonalDataSteps, Contract):
    name = NAME
    indexes = {"org": ("type", "status"), "cert": ("org_id",)}
