"""The `npa` contract: non-performing loan packages from registration to inspection (domain.md section 3).

A bank or an AMC (the seller) registers its non-performing loans, puts them in a
package, an intermediary does the due diligence, the exchange approves the
package and lists it in an auction (the generic `auctions` contract runs the
bidding: registration, margins, bids, award, payment), the seller and the winner
sign the deal, the settlement bank's payment confirmation makes it PAID, the
seller delivers the files, the transfer notice is published, the buyer records
what it does with the loans afterwards, an inspector appointed by the exchange
inspects, and the exchange closes the package: the loans belong to the buyer.

    DRAFT -> DUE_DILIGENCE -> APPROVED -> LISTED -> BIDDING -> AWARDED -> CONTRACTED -> PAID
          -> DELIVERED -> NOTICED -> POST_TRANSFER -> INSPECTED -> CLOSED
    an auction without a valid bid, or a winner who does not pay: back to APPROVED (relisting);
    DRAFT, DUE_DILIGENCE, APPROVED, or LISTED before any bid: WITHDRAWN (the loans are released)

Who does what:

    seller (BANK, AMC)   register_loan, update_loan, create_package, add_loans, remove_loans,
                         set_prices, submit_for_due_diligence, sign_deal, deliver, publish_notice, withdraw
    DD intermediary      record_due_diligence
    exchange             approve, list_package, withdraw, publish_notice, assign_inspector, close
    winner (the buyer)   sign_deal, record_disposition
    inspector            inspect
    parties, exchange    register_document; bidders, parties, exchange, regulator: view_document
    seller of a person   request_erasure (a borrower's or guarantor's personal data, on the person's behalf)
    regulator            approve_erasure, reject_erasure
    auctions contract    auction_started, auction_awarded, auction_failed, auction_paid, auction_defaulted

The auction is the `auctions` contract's: `list_package` opens it through
`ctx.call("auctions", "open", ...)`, which makes `npa` its owner, and the engine
reports back through the `@internal` callbacks `auction_started`,
`auction_awarded`, `auction_failed`, `auction_paid` and `auction_defaulted`, each
in the transaction or block where it happens. A package therefore becomes PAID
only in the settlement bank's payment confirmation.

Payment before signature: the auction engine gives the winner `pay_days` after
the award to pay, and does not know about the deal contract. A payment the bank
confirms while the deal is still unsigned (AWARDED) is recorded on the deal and
the package stays AWARDED; the signature that completes the contract then moves
it through CONTRACTED to PAID in the same transaction. Refusing the confirmation
instead would leave money that did move unrecorded.

Borrowers and guarantors are named by the commitments of their personal data documents in
the vault, never by name or ID number (faechain/contracts/personal.py says how a commitment
is made, matched, read and erased).

Where things are:

    records.py     the state keys and records (TypedDicts), the package's states, limits and vocabularies
    rules.py       loading, checking, moving and saving a package: what every step shares
    loans.py       the loan book (register_loan, update_loan)
    packaging.py   the draft, its loans and prices, due diligence and approval
    listing.py     listing, withdrawal, and the auction engine's callbacks
    data_room.py   registering documents and logging their reading
    transfer.py    the deal, delivery, notice, dispositions, inspection and close
    end_block.py   overdue transfer notices
    reading.py     who may read each record and see each event (the queries and the raw routes ask it)
    queries.py     the queries
"""

from __future__ import annotations

from faechain.contracts.personal import PersonalDataSteps
from faechain.contracts.runtime import Contract, register
from faechain.modules.npa.data_room import DataRoomSteps
from faechain.modules.npa.end_block import EndOfBlock
from faechain.modules.npa.listing import AuctionCallbacks, ListingSteps
from faechain.modules.npa.loans import LoanSteps
from faechain.modules.npa.packaging import PackagingSteps
from faechain.modules.npa.queries import Queries
from faechain.modules.npa.reading import ReadRules
from faechain.modules.npa.transfer import TransferSteps


@register
class Npa(LoanSteps, PackagingSteps, ListingSteps, AuctionCallbacks, DataRoomSteps, TransferSteps, Queries,
          ReadRules, EndOfBlock, PersonalDataSteps, Contract):
    name = "npa"
    indexes = {
        "package": ("seller", "status", "intermediary", "winner", "inspector"),
        "loan": ("seller", "owner", "package"),
        "doc": ("package",),
        "view": ("package", "org"),
    }
