"""The package's documents: the parties register what they put in the vault, bidders log what they read.

Documents added by the seller, the DD intermediary or the exchange before the award form the data
room that registered bidders may read (each read logged under `view/<package>/<hash>/<org>`);
documents are never replaced, a corrected one supersedes the old one, which stays on record.
"""

from __future__ import annotations

from faechain.contracts.errors import (
    BadRequest,
    Duplicate,
    InvalidState,
    LimitExceeded,
    NotFound,
    Unauthorized,
    ensure,
)
from faechain.contracts.roles import SEE_ALL
from faechain.contracts.runtime import Ctx, tx
from faechain.contracts.validators import HEX64, one_of, text
from faechain.modules.auctions.records import margin_key
from faechain.modules.npa.records import (
    BEFORE_AWARD,
    DOC_KINDS,
    FINISHED,
    MAX_DOCS,
    MEDIA_TYPE,
    OPEN_FOR_BIDDERS,
    Document,
    DocumentView,
    document_key,
    documents_key,
    view_key,
)
from faechain.modules.npa.rules import ensure_package_status, load_package, may_upload, save_package


class DataRoomSteps:
    @tx
    def register_document(self, ctx: Ctx, package: str, hash: str, kind: str, name: str, size: int,
                          media_type: str = "application/octet-stream", supersedes: str | None = None) -> dict:
        """A party records a document it put in the vault (the seller, the DD intermediary, the exchange;
        the winner and the inspector once they have a part). Documents added by the seller, the
        intermediary or the exchange before the award form the data room bidders may read.

        Documents are never replaced: a corrected one names the document it
        `supersedes` (its own, or any for the exchange), which stays on record.
        """
        p = load_package(ctx, package)
        ensure(may_upload(ctx.caller.org_id, ctx.caller.role, p),
               Unauthorized(f"only the parties of package {package} and the exchange add its documents"))
        ensure(p["status"] not in FINISHED, InvalidState(f"package {package} is {p['status']}"))
        ensure(HEX64.match(hash) is not None, BadRequest("hash must be 64 lowercase hex characters"))
        one_of(kind, DOC_KINDS, "kind")
        text(name, "name")
        ensure(0 < size <= 2**40, BadRequest("size must be 1 .. 2^40 bytes"))
        ensure(MEDIA_TYPE.match(media_type) is not None, BadRequest("media_type must look like type/subtype"))
        ensure(not ctx.state.has(document_key(hash)), Duplicate(f"document {hash} is already registered"))
        ensure(p["docs"] < MAX_DOCS, LimitExceeded(f"a package holds at most {MAX_DOCS} documents"))
        if supersedes is not None:
            old: Document | None = ctx.state.get(document_key(supersedes))
            if old is None or old["package"] != package:
                raise NotFound(f"document {supersedes} is not in package {package}")
            ensure(old["uploader"] == ctx.caller.org_id or ctx.caller.role == "EXCHANGE",
                   Unauthorized(f"only its uploader or the exchange supersedes document {supersedes}"))
            ensure(old["superseded_by"] is None, InvalidState(f"document {supersedes} is already superseded"))
            old["superseded_by"] = hash
            ctx.state.put(document_key(supersedes), old)
        data_room = (p["status"] in BEFORE_AWARD
                     and (ctx.caller.org_id in (p["seller"], p["intermediary"]) or ctx.caller.role == "EXCHANGE"))
        document: Document = {
            "hash": hash, "package": package, "kind": kind, "name": name, "size": size, "media_type": media_type,
            "uploader": ctx.caller.org_id, "registered_at": ctx.time, "data_room": data_room, "public": False,
            "supersedes": supersedes, "superseded_by": None,
        }
        ctx.state.put(document_key(hash), document)
        ctx.state.put(documents_key(package), ctx.state.get(documents_key(package)) + [hash])
        p["docs"] += 1
        save_package(ctx, p)
        ctx.emit("DocumentRegistered", package=package, hash=hash, kind=kind, name=name, data_room=data_room,
                 supersedes=supersedes)
        return {"package": package, "document": hash}

    @tx
    def view_document(self, ctx: Ctx, package: str, hash: str) -> dict:
        """A registered bidder logs that it reads a data-room document; only then may it download it.

        A bidder is an organisation registered for the package's current auction
        (its margin record in the auctions contract). The package's parties, the
        exchange and the regulator may log their reads too.
        """
        p = load_package(ctx, package)
        d: Document | None = ctx.state.get(document_key(hash))
        ensure(d is not None and d["package"] == package and d["data_room"],
               NotFound(f"document {hash} is not in the data room of package {package}"))
        who = ctx.caller.org_id
        bidder = p["auction"] is not None and ctx.read("auctions", margin_key(p["auction"], who)) is not None
        ensure(bidder or ctx.caller.role in SEE_ALL or who in (p["seller"], p["intermediary"]),
               Unauthorized(f"only bidders registered for package {package}'s auction read its data room"))
        ensure_package_status(p, *OPEN_FOR_BIDDERS)
        key = view_key(package, hash, who)
        v: DocumentView | None = ctx.state.get(key)
        if v is None:
            v = {"package": package, "hash": hash, "org": who, "first": ctx.time, "last": ctx.time, "count": 0,
                 "auction": p["auction"]}
        v["count"] += 1
        v["last"] = ctx.time
        ctx.state.put(key, v)
        ctx.emit("DocumentViewed", package=package, hash=hash, org=who, count=v["count"])
        return {"package": package, "document": hash, "count": v["count"]}
