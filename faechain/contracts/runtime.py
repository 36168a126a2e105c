"""The contract runtime: `Contract`, the transaction context `ctx`, and method dispatch.

A contract is a Python class. Its transaction methods are marked `@tx` and take
`(self, ctx, **args)`; its read-only queries are marked `@query` and take
`(self, q, **args)`. Arguments are checked against the method's type hints before
the method runs, so a method body only ever sees well-typed values.

What a method may touch is exactly what `ctx` offers: who signed (`ctx.caller`,
from the certificate, never from an argument), the block time (`ctx.time`), its
own namespace of the authenticated state (`ctx.state`), other contracts' state
read-only (`ctx.read`), and `ctx.emit` for events. A method rejects by raising a
`ContractError`; the runtime then discards every write of that transaction.

Who may see what is declared once per contract (docs/confidentiality.md): `can_read` for each
record, `event_subjects` for each event, `tx_subjects` for each transaction; the business
queries (`QueryCtx.may_read`) and the raw routes (`faechain.chain.visibility`) both ask them.

Why one file (over 500 lines): `Contract`, the two contexts its methods see and the argument
checks that bind them are one interface; splitting them would scatter what a contract author
reads to write one.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from faechain.contracts.errors import BadRequest, ContractError, NotFound
from faechain.contracts.roles import SEE_ALL
from faechain.core.encoding import check, encode
from faechain.core.encoding import decode_trusted as decode

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_STR = 4096
MAX_LIST = 1000


@dataclass(frozen=True)
class Caller:
    """The authenticated signer of a transaction (or the reader of a query)."""

    cert_id: bytes
    org_id: str
    org_name: str
    name: str
    role: str  # the organisation type: EXCHANGE, BANK, INVESTOR, ...
    attributes: dict[str, Any] = field(default_factory=dict)

    def has(self, attribute: str) -> bool:
        return bool(self.attributes.get(attribute))


# An anonymous reader of a node that answers unsigned reads but is not open (`fae demo` without
# `--open`): a non-member, named by no record and of no organisation type, so every read rule
# refuses it. (`None` as a reader is the opposite: an open dev node's, or the node's own, read
# that sees everything.)
NOBODY = Caller(b"", "", "", "anonymous", "")


def sees_all(caller: Caller | None) -> bool:
    """The regulator and the exchange see every record; so does `None` (an open dev node's
    anonymous reader, the node's own reads)."""
    return caller is None or caller.role in SEE_ALL


def is_member(caller: Caller | None) -> bool:
    """Any consortium member (or `None`); not `NOBODY`."""
    return caller is None or bool(caller.org_id)


class StateAccess(typing.Protocol):
    def get_raw(self, key: bytes) -> bytes | None: ...

    def put_raw(self, key: bytes, value: bytes | None) -> None: ...

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]: ...


class ContractState:
    """A contract's own namespace of the state: keys are `<contract>/<key>`."""

    def __init__(self, contract: str, access: StateAccess):
        self._prefix = contract + "/"
        self._access = access

    def get(self, key: str, default: Any = None) -> Any:
        raw = self._access.get_raw((self._prefix + key).encode())
        return default if raw is None else decode(raw)

    def require(self, key: str, what: str | None = None) -> Any:
        raw = self._access.get_raw((self._prefix + key).encode())
        if raw is None:
            # "voucher/V-1" with what="voucher" reads as: voucher 'V-1' not found
            name = key.split("/", 1)[1] if what and "/" in key else key
            raise NotFound(f"{what or 'record'} {name!r} not found")
        return decode(raw)

    def has(self, key: str) -> bool:
        return self._access.get_raw((self._prefix + key).encode()) is not None

    def put(self, key: str, value: Any) -> None:
        self._access.put_raw((self._prefix + key).encode(), encode(value))

    def delete(self, key: str) -> None:
        self._access.put_raw((self._prefix + key).encode(), None)

    def scan(self, prefix: str, limit: int | None = None) -> list[tuple[str, Any]]:
        """Live (key, value) pairs whose key starts with `prefix`, in key order.

        Deterministic (byte order of keys, this block's own writes included); it
        costs O(matches), so contracts use it only for sets they bound, never to
        walk a table.
        """
        full = (self._prefix + prefix).encode()
        cut = len(self._prefix)
        return [(k.decode()[cut:], decode(v)) for k, v in self._access.scan_raw(full, limit)]


class Savepoint:
    """Writes held back over a transaction's state: applied by `keep()`, else dropped
    (what `Ctx.attempt` runs against)."""

    def __init__(self, base: StateAccess):
        self.base = base
        self.writes: dict[bytes, bytes | None] = {}

    def get_raw(self, key: bytes) -> bytes | None:
        return self.writes[key] if key in self.writes else self.base.get_raw(key)

    def put_raw(self, key: bytes, value: bytes | None) -> None:
        self.writes[key] = value

    def scan_raw(self, prefix: bytes, limit: int | None) -> list[tuple[bytes, bytes]]:
        pending = {k: v for k, v in self.writes.items() if k.startswith(prefix)}
        base_limit = None if limit is None else limit + len(pending)
        merged: dict[bytes, bytes | None] = dict(self.base.scan_raw(prefix, base_limit))
        merged.update(pending)
        rows = sorted((k, v) for k, v in merged.items() if v is not None)
        return rows if limit is None else rows[:limit]

    def keep(self) -> None:
        """Apply the held-back writes to the state beneath, in key order."""
        for key in sorted(self.writes):
            self.base.put_raw(key, self.writes[key])


MAX_CALL_DEPTH = 4
T = TypeVar("T")


class _Scope:
    """What every contract called within one transaction shares: events and id counter."""

    __slots__ = ("events", "ids")

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.ids = 0


class Ctx:
    """What a transaction method sees."""

    def __init__(
        self,
        contract: str,
        caller: Caller,
        time_ms: int,
        height: int,
        tx_hash: bytes,
        tx_index: int,
        access: StateAccess,
        chain: str = "",
        suite: Any = None,
        contracts: dict[str, Contract] | None = None,
        via: str | None = None,
        _scope: _Scope | None = None,
        _depth: int = 0,
    ):
        self.contract = contract
        self.chain = chain
        self.suite = suite
        self.hasher = suite.hash if suite is not None else None
        self.caller = caller
        self.time_ms = time_ms
        self.time = time_ms // 1000  # block time, whole unix seconds
        self.height = height
        self.tx_hash = tx_hash
        self.tx_index = tx_index
        self.state = ContractState(contract, access)
        # the contract that called this one through `ctx.call`, None for the transaction's own
        self.via = via
        # in end_block only: the block so far (faechain.chain.results.BlockView), else None
        self.block: Any = None
        self._access = access
        self._contracts = contracts or {}
        self._scope = _scope or _Scope()
        self._depth = _depth

    @property
    def events(self) -> list[dict[str, Any]]:
        return self._scope.events

    def read(self, contract: str, key: str, default: Any = None) -> Any:
        """Read another contract's state (read-only)."""
        return ContractState(contract, self._access).get(key, default)

    def call(self, contract: str, method: str, **args: Any) -> Any:
        """Call another contract's `@internal` method inside this transaction.

        The callee sees the same signer (`ctx.caller`), block and state, writes
        only its own namespace, and knows who called (`ctx.via`). Everything is
        one transaction: if either side raises, nothing of either is kept.
        """
        target = self._contracts.get(contract)
        if target is None:
            raise BadRequest(f"no contract named {contract!r}")
        m = target.methods.get(method)
        if m is None or m.kind != "internal":
            raise BadRequest(f"contract {contract!r} has no internal method {method!r}")
        if self._depth >= MAX_CALL_DEPTH:
            raise BadRequest("contract calls nested too deeply")
        callee = Ctx(contract, self.caller, self.time_ms, self.height, self.tx_hash, self.tx_index, self._access,
                     self.chain, self.suite, self._contracts, self.contract, self._scope, self._depth + 1)
        return m.func(target, callee, **m.bind(args))

    def attempt(self, run: Callable[[Ctx], T], keep: bool = True) -> tuple[T | None, ContractError | None]:
        """Run `run(sub)` on a savepoint of this transaction's state, as this same call.

        Returns (its result, None), its writes and events kept only if `keep`; or
        (None, the ContractError it raised), nothing of it kept. So a contract can
        record a decision although the action it triggers fails (a governance vote
        that carries a proposal whose execution fails), or try an action out without
        doing it (`keep=False`: is a proposal executable?). Any other exception
        propagates, as from the method itself.
        """
        savepoint = Savepoint(self._access)
        sub = Ctx(self.contract, self.caller, self.time_ms, self.height, self.tx_hash, self.tx_index, savepoint,
                  self.chain, self.suite, self._contracts, self.via, self._scope, self._depth)
        mark = len(self.events)
        try:
            result = run(sub)
        except ContractError as exc:
            del self.events[mark:]
            return None, exc
        if keep:
            savepoint.keep()
        else:
            del self.events[mark:]
        return result, None

    def emit(self, type_: str, **attrs: Any) -> None:
        check(attrs)
        self._scope.events.append({"contract": self.contract, "type": type_, "attrs": attrs})

    def new_id(self, prefix: str) -> str:
        """A deterministic id unique on this chain: prefix-height-index-n."""
        self._scope.ids += 1
        return f"{prefix}-{self.height}-{self.tx_index}-{self._scope.ids}"


class Index(typing.Protocol):
    def find(self, kind: str, field: str, value: str, limit: int = 1000) -> list[bytes]: ...


MAX_RULE_DEPTH = 4  # a read rule asking another contract's, which asks another's ...: beyond, refused


class QueryCtx:
    """What a query method (and a read rule) sees: the reader, a read-only state, the listing
    index, and the other contracts' read rules (`may_read`)."""

    def __init__(
        self,
        contract: str,
        caller: Caller | None,
        access: StateAccess,
        index: Index,
        height: int,
        time: int = 0,
        prover: Callable[[bytes, int], dict[str, Any]] | None = None,
        historian: Callable[[bytes, bool], list[dict[str, Any]]] | None = None,
        contracts: Mapping[str, Contract] | None = None,
        _depth: int = 0,
    ):
        self.contract = contract
        self.caller = caller
        self.height = height
        self.time = time  # block time (unix seconds) of `height`
        self.state = ContractState(contract, access)
        self._access = access
        self._index = index
        self._prover = prover
        self._historian = historian
        self._contracts = contracts
        self._depth = _depth

    def contract_named(self, name: str) -> Contract | None:
        """The contract object `name` (the chain's, or a fresh one of the registry's: they hold no state)."""
        if self._contracts is not None:
            return self._contracts.get(name)
        cls = REGISTRY.get(name)
        return cls() if cls is not None else None

    def may_read(self, key: str, contract: str | None = None) -> bool:
        """Whether the reader may read the record under `key` of `contract` (this one if None):
        that contract's `can_read`, the one definition of who may see it, at this height."""
        if sees_all(self.caller):
            return True
        name = contract or self.contract
        target = self.contract_named(name)
        if target is None or self._depth >= MAX_RULE_DEPTH:
            return False
        sub = QueryCtx(name, self.caller, self._access, self._index, self.height, self.time, self._prover,
                       self._historian, self._contracts, self._depth + 1)
        return target.can_read(sub, key)

    def may_read_locked(self, kind: str, asset_id: str) -> bool:
        """Whether the reader may read an asset of this contract because another contract holds
        (or held) it locked — a voucher in a plan's pool — and the reader may read that contract's
        record of it (`Contract.lock_entry`; such records are kept after the asset is released)."""
        names = sorted(self._contracts if self._contracts is not None else REGISTRY)
        for name in names:
            target = self.contract_named(name)
            if target is None or type(target).lock_entry is Contract.lock_entry:
                continue
            entry = target.lock_entry(kind, asset_id)
            if entry is not None and self.may_read(entry, name):
                return True
        return False

    def proof(self, key: str, contract: str | None = None, *, height: int | None = None) -> dict[str, Any]:
        """Proof of a state key (this contract's, or `contract`'s) at the query height (or `height`)."""
        if self._prover is None:
            raise NotFound("proofs are not available here")
        return self._prover(f"{contract or self.contract}/{key}".encode(), self.height if height is None else height)

    def history(self, key: str, prove: bool = False) -> list[dict[str, Any]]:
        """Every committed version of `key`: [{height, value}] oldest first (`prove`: see chain.queries)."""
        if self._historian is None:
            return []
        return self._historian(f"{self.contract}/{key}".encode(), prove)

    def read(self, contract: str, key: str, default: Any = None) -> Any:
        return ContractState(contract, self._access).get(key, default)

    def find(self, kind: str, field: str, value: str, limit: int = 1000) -> Iterator[tuple[str, Any]]:
        """Records of `kind` (this contract) whose indexed `field` equals value."""
        prefix = len(self.contract) + 1
        for key in self._index.find(f"{self.contract}/{kind}", field, str(value), limit):
            raw = self._access.get_raw(key)
            if raw is not None:
                yield key.decode()[prefix:], decode(raw)


# -- methods and their argument checks --------------------------------------------


def _checker(hint: Any) -> Callable[[Any, str], Any]:
    """A function that validates (and returns) a value of type `hint`."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [_checker(a) for a in typing.get_args(hint)]
        allow_none = type(None) in typing.get_args(hint)

        def check_union(v: Any, name: str) -> Any:
            if v is None and allow_none:
                return None
            for opt in options:
                try:
                    return opt(v, name)
                except BadRequest:
                    continue
            raise BadRequest(f"argument {name!r} has the wrong type")

        return check_union
    if hint is type(None):

        def check_none(v: Any, name: str) -> Any:
            if v is not None:
                raise BadRequest(f"argument {name!r} must be null")
            return v

        return check_none
    if hint is bool:

        def check_bool(v: Any, name: str) -> Any:
            if type(v) is not bool:
                raise BadRequest(f"argument {name!r} must be a boolean")
            return v

        return check_bool
    if hint is int:

        def check_int(v: Any, name: str) -> Any:
            if type(v) is not int:
                raise BadRequest(f"argument {name!r} must be an integer")
            if not INT64_MIN <= v <= INT64_MAX:
                raise BadRequest(f"argument {name!r} is outside the 64-bit integer range")
            return v

        return check_int
    if hint is str:

        def check_str(v: Any, name: str) -> Any:
            if type(v) is not str:
                raise BadRequest(f"argument {name!r} must be text")
            if len(v) > MAX_STR:
                raise BadRequest(f"argument {name!r} is longer than {MAX_STR} characters")
            return v

        return check_str
    if hint is bytes:

        def check_bytes(v: Any, name: str) -> Any:
            if type(v) is not bytes:
                raise BadRequest(f"argument {name!r} must be a byte string")
            return v

        return check_bytes
    if hint is list or origin is list:
        args = typing.get_args(hint)
        item = _checker(args[0]) if args else (lambda v, n: v)

        def check_list(v: Any, name: str) -> Any:
            if type(v) is not list:
                raise BadRequest(f"argument {name!r} must be a list")
            if len(v) > MAX_LIST:
                raise BadRequest(f"argument {name!r} has more than {MAX_LIST} items")
            return [item(x, f"{name}[{i}]") for i, x in enumerate(v)]

        return check_list
    if hint is dict or origin is dict:

        def check_dict(v: Any, name: str) -> Any:
            if type(v) is not dict:
                raise BadRequest(f"argument {name!r} must be a map")
            return v

        return check_dict
    if hint is Any:
        return lambda v, name: v
    raise TypeError(f"unsupported argument type {hint!r}")


@dataclass(frozen=True)
class Method:
    name: str
    kind: str  # "tx" or "query"
    func: Callable[..., Any]
    params: dict[str, tuple[Callable[[Any, str], Any], bool, Any]]  # name -> (check, required, default)

    def bind(self, args: dict[str, Any]) -> dict[str, Any]:
        """Checked keyword arguments, or BadRequest naming the first problem."""
        unknown = args.keys() - self.params.keys()
        if unknown:
            raise BadRequest(f"unknown argument(s) {sorted(unknown)} for {self.name}")
        out: dict[str, Any] = {}
        for name, (check_fn, required, default) in self.params.items():
            if name in args:
                out[name] = check_fn(args[name], name)
            elif required:
                raise BadRequest(f"missing argument {name!r} for {self.name}")
            else:
                out[name] = default
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "doc": inspect.getdoc(self.func) or "",
            "args": {n: {"required": r} for n, (_, r, _) in self.params.items()},
        }


F = TypeVar("F", bound=Callable[..., Any])
# the attribute `@tx`/`@query`/`@internal` set on a method, read back by `Contract.__init_subclass__`
_KIND_ATTR = "__fae_kind__"


def _method(kind: str) -> Callable[[F], F]:
    def mark(func: F) -> F:
        setattr(func, _KIND_ATTR, kind)  # a plain function attribute, which `Callable` does not declare
        return func

    return mark


tx = _method("tx")
query = _method("query")
# callable only by other contracts, through ctx.call (never by a transaction or a reader)
internal = _method("internal")


class Contract:
    """Base class of every contract.

    `name` is the contract's namespace on the chain. `indexes` maps a record kind
    (the first segment of a key under the contract) to the fields the query index
    keeps for listings, e.g. `{"voucher": ("holder", "status")}`.
    """

    name: ClassVar[str] = ""
    indexes: ClassVar[dict[str, tuple[str, ...]]] = {}
    methods: ClassVar[dict[str, Method]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        methods: dict[str, Method] = {}
        for attr, func in inspect.getmembers(cls, inspect.isfunction):
            kind = getattr(func, _KIND_ATTR, None)
            if kind is None:
                continue
            hints = typing.get_type_hints(func)
            sig = inspect.signature(func)
            params = {}
            for i, (pname, p) in enumerate(sig.parameters.items()):
                if i < 2:  # self, ctx / q
                    continue
                hint = hints.get(pname, Any)
                required = p.default is inspect.Parameter.empty
                params[pname] = (_checker(hint), required, None if required else p.default)
            methods[attr] = Method(attr, kind, func, params)
        cls.methods = methods

    def genesis(self, ctx: Ctx, config: dict[str, Any]) -> None:
        """Seed this contract's state from the genesis document (optional)."""

    def end_block(self, ctx: Ctx) -> None:
        """Called after the last transaction of every block (optional).

        For work the block time makes due (deadlines, maturities) or that is
        too large for one transaction (clearing in batches). It must do O(work
        due) reads when there is nothing to do.
        """

    # -- who may see what (docs/confidentiality.md): the one definition per contract ----------------
    def can_read(self, q: QueryCtx, key: str) -> bool:
        """Whether `q.caller` may read the record stored under `key` (this contract's key, without
        its prefix) at `q.height`. The queries ask it for what they show, the raw routes for a
        state key, a transaction, an event. Default: the regulator and the exchange only."""
        return sees_all(q.caller)

    def event_subjects(self, type_: str, attrs: dict[str, Any]) -> tuple[str, ...]:
        """The records (this contract's keys) an event of this contract is about: an end-block
        event is seen by whoever may read all of them. Default: none (the regulator's and the
        exchange's only)."""
        return ()

    def tx_subjects(self, method: str, args: dict[str, Any], result: Any,
                    events: list[dict[str, Any]]) -> tuple[str, ...]:
        """The records (full keys, `<contract>/<key>`) a successful transaction of this contract is
        about: it is seen in full by whoever may read all of them (and by its signer, the
        regulator and the exchange). Default: the subjects of the events this contract itself
        emitted in it (not those of contracts it called) — none at all if one of those events
        is about no record, so that an event without a rule hides its transaction."""
        out: list[str] = []
        for ev in events:
            if ev.get("contract") != self.name:
                continue
            keys = self.event_subjects(ev["type"], ev["attrs"])
            if not keys:
                return ()
            out.extend(f"{self.name}/{key}" for key in keys)
        return tuple(out)

    def related(self, key: str, record: Any) -> tuple[str, ...]:
        """Records (full keys, `<contract>/<key>`) whose readers may change when the record under
        `key` (this contract's key) changes without being written themselves: a voucher's parent,
        whose title a new piece's holder may now check; a plan's pooled assets; a package's
        loans. A member node is sent those that become readable to its organisation (and told of
        those that stop being) with the block that changed them (faechain.api.sync). Default:
        none."""
        return ()

    def lock_entry(self, kind: str, asset_id: str) -> str | None:
        """This contract's record of another contract's asset it holds locked (`voucher` or
        `invoice` of receivables): whoever may read that record may read the asset too. Default:
        none."""
        return None

    def index_rows(self, kind: str, record: Any) -> list[tuple[str, str]]:
        """(field, value) pairs of the listing index for one record."""
        fields = self.indexes.get(kind)
        if not fields or type(record) is not dict:
            return []
        rows: list[tuple[str, str]] = []
        for f in fields:
            v = record.get(f)
            if v is None:
                continue
            if type(v) is list:
                rows.extend((f, str(x)) for x in v)
            else:
                rows.append((f, v.hex() if type(v) is bytes else str(v)))
        return rows


REGISTRY: dict[str, type[Contract]] = {}


def register(cls: type[Contract]) -> type[Contract]:
    """Class decorator: make a contract available to every chain."""
    if not cls.name:
        raise TypeError("a contract needs a name")
    if "/" in cls.name:  # its state prefix "<name>/" would lie inside another contract's
        raise TypeError(f"a contract name cannot contain '/': {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls
