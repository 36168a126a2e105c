"""The membership sample of `fae demo`: who stands behind the two individual investors.

`investor3` and `investor4` are people, admitted (in genesis) under labels that name no
one. The exchange, which did their know-your-customer checks, records each person's
name and resident ID number as a personal data document in its vault and registers only
the document's commitment on chain (`membership.register_person`). The exchange, the
regulator and the individual's own organisation may read the document
(`fae person show --as investor3 --scope membership <commitment>`); the ledger-wide scan
of the demo (tests/devnet/test_demo_personal_data.py) finds neither name nor number.
"""

from __future__ import annotations

from faechain.core.personal import PersonalData, make_document
from faechain.devnet.demo import Samples

# the people behind the individual members (fictitious names and ID numbers)
INDIVIDUALS = {
    "investor3": PersonalData("Li Wei", "resident_id", "110105198803124519"),
    "investor4": PersonalData("Zhang Min", "resident_id", "110108199107296042"),
}
PEOPLE = list(INDIVIDUALS.values())


def seed(samples: Samples) -> dict:
    """The exchange registers each individual investor's personal data; returns the commitments."""
    persons = {}
    for member, data in INDIVIDUALS.items():
        commitment = samples.upload(make_document(data))  # into the vault; its hash is the commitment
        samples.tx("exchange", "membership", "register_person", org_id=samples.org_ids[member], person=commitment)
        persons[member] = commitment
    return {"persons": persons}
