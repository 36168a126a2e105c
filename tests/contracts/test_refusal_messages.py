"""Every user-facing refusal message of every contract reads as a sentence a person can act on
(issue 24): no raw epoch, no fen amount without its unit, no English article error or role code
("a INVESTOR"), no bare code name (`not_found`) where a sentence belongs.

Messages are collected two ways, and `problems(message)` is applied to each:

- **Driven.** The authorization matrix's world (tests/authz/authz_support.py) is built once, and
  every transaction row of its matrix (tests/authz/test_authz_contracts.py: every `@tx` method of
  every contract) is called as every member, each call alone in a block that is never committed.
  Then each row is called again by a permitted member with one argument changed at a time (an
  integer to -1, 0, 1, half, one more, ten times, a past and a far-future time, 2^63; a text to
  empty, unknown, too long, or every other record id or organisation of the world; a list
  emptied, doubled or unknown; the argument left out; an unknown one added), and at later block
  times (a day, 30 days, 400 days on: deadlines pass). Every read row of the query matrix
  (tests/authz/test_authz_queries.py) is asked by every member. Each refusal's message (receipt
  or query error, envelope refusals included) is recorded with where it came from.
- **Read from the source.** Every `BadRequest(...)`, `Unauthorized(...)`, ... (each `ContractError`
  class) built in faechain/modules and faechain/contracts: the literal parts of its message
  (constant, f-string, either branch of a conditional) are checked with `problems`, and each
  f-string placeholder by what it shows: a time must go through `date_time`, an amount must be
  followed by its unit, a role through `a_role`/`role_word`, and no "a"/"an" may stand before a
  value whose first letter is not known.

`test_the_checks_catch_what_issue_24_found` shows the checks fail on the messages the issue
quoted ("acquired at 1841551200", "a INVESTOR cannot sponsor a plan", ...).
"""

from __future__ import annotations

import ast
import pathlib
import re
from collections import defaultdict
from dataclasses import dataclass

import pytest

from faechain.chain.results import Rejected
from faechain.contracts import errors as contract_errors
from faechain.contracts.errors import ContractError
from faechain.contracts.roles import a_role
from faechain.contracts.time import date_time
from faechain.core.errors import ENVELOPE_CODES, UNAUTHENTICATED_CODES
from faechain.identity.organisations import ORG_TYPES
from tests.authz.authz_support import DAY, World, build_world
from tests.authz.test_authz_contracts import CALLERS
from tests.authz.test_authz_contracts import TABLE as TX_TABLE
from tests.authz.test_authz_queries import READERS
from tests.authz.test_authz_queries import TABLE as QUERY_TABLE

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "faechain" / "modules", ROOT / "faechain" / "contracts"]

# -- the checks ------------------------------------------------------------------------------------

# every refusal code a message could leak as a "code name" (those with an underscore: plain words
# such as "expired" or "frozen" are English too)
CODES = {c.code for c in vars(contract_errors).values() if isinstance(c, type) and issubclass(c, ContractError)}
CODES |= set(ENVELOPE_CODES) | set(UNAUTHENTICATED_CODES) | {"internal_error", "storage_damaged"}
SNAKE_CODES = {c for c in CODES if "_" in c}

UNITS = r"fen|CNY|yuan|units?|bps|%|days?|seconds?|minutes?|hours?|bytes|characters|times"
# the things a money message may count, besides money (a number followed by one is a count)
COUNTED = (r"invoices?|vouchers?|documents?|assets?|loans?|tranches?|investors?|holders?|bidders?|organisations?"
           r"|voters?|validators?|dispositions?|pieces?|items?|votes?|yes|locked|increments?")
NUMBER = r"(?<![\w.\-/:^'])\d+(?![\w\-^'])"
RAW_EPOCH = re.compile(rf"(?<![\w.\-/:^'])(\d{{10}}|\d{{13}})(?![\w\-^'])(?!\s*(?:{UNITS})\b)")
# a message about money: every number in it must say what it counts
MONEY = re.compile(r"\b(amount|price|balance|margin|payment|paid|principal|interest|collect\w*|distribut\w*|ticket"
                   r"|credit|pooled|undrawn|underlying|reserve|fees?|outstanding|subscri\w*|remain\w*|bid|increment\w*"
                   r"|fen|CNY|yuan)\b", re.I)
BARE_NUMBER = re.compile(rf"{NUMBER}(?!\s*(?:\.\.|to\b|-|of\b))(?!\s*(?:{UNITS}|{COUNTED})\b)")
A_BEFORE_VOWEL = re.compile(r"(?<![\w'-])[Aa] ([aeiouAEIOU]\w*)")
AN_BEFORE_CONSONANT = re.compile(r"(?<![\w'-])[Aa]n ([^\W\d_aeiouAEIOU]\w*)")
CONSONANT_SOUND = {"one", "once", "unit", "units", "unique", "user", "usual", "uniform", "union", "universal",
                   "european", "useful", "usage", "uscc", "utf"}
VOWEL_SOUND = {"hour", "hours", "honest", "honour", "heir"}
VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")  # letters whose names begin with a vowel sound: "an SM2", "an NPA"
ROLE_CODE = re.compile(rf"\b({'|'.join(ORG_TYPES)})\b")
CODE_NAME = re.compile(rf"(?<![\w'])({'|'.join(sorted(SNAKE_CODES))})(?![\w'])")


def _acronym(word: str) -> bool:
    return len(word) > 1 and word[:2].isupper()


def problems(message: str) -> list[str]:
    """What keeps `message` from reading as a sentence a person can act on (empty: nothing)."""
    out = []
    text = message.strip()
    if not text or " " not in text:
        out.append("not a sentence")
    for m in RAW_EPOCH.finditer(message):
        out.append(f"a raw epoch {m.group(1)} (write block times with faechain.contracts.time.date_time)")
    if MONEY.search(message):
        for m in BARE_NUMBER.finditer(message):
            out.append(f"the number {m.group(0)} in a message about money has no unit (fen)")
    for m in A_BEFORE_VOWEL.finditer(message):
        word = m.group(1)
        if word.lower() not in CONSONANT_SOUND and not (_acronym(word) and word[0] not in VOWEL_SOUND_LETTERS):
            out.append(f"'a {word}' (an article error)")
    for m in AN_BEFORE_CONSONANT.finditer(message):
        word = m.group(1)
        if word.lower() not in VOWEL_SOUND and not (_acronym(word) and word[0] in VOWEL_SOUND_LETTERS):
            out.append(f"'an {word}' (an article error)")
    for m in re.finditer(r"(?<![\w'-])[Aa] ([FHLMNRSX][A-Z]\w*)", message):  # "a NPA": read "en-pee-ay"
        out.append(f"'a {m.group(1)}' (an article error)")
    for m in ROLE_CODE.finditer(message):
        out.append(f"the role code {m.group(1)} where a word belongs (faechain.contracts.roles.a_role)")
    for m in CODE_NAME.finditer(message):
        out.append(f"the code name {m.group(1)} where a sentence belongs")
    return list(dict.fromkeys(out))


# -- the driven messages ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    w = build_world(str(tmp_path_factory.mktemp("refusals")))
    yield w
    w.chain.close()


@dataclass
class Collected:
    where: dict[str, list[str]]  # message -> where it was given (the first few)
    calls: int = 0
    refusals: int = 0

    def add(self, message: str, where: str) -> None:
        self.refusals += 1
        seen = self.where.setdefault(message, [])
        if len(seen) < 3:
            seen.append(where)


def variants(value: object, w: World, ids: list[str], orgs: list[str]) -> list[object]:
    """The values an argument is changed to, one at a time."""
    if type(value) is int:
        return [-1, 0, 1, value // 2, value + 1, value * 10 + 7, w.now - 10 * DAY, w.now + 3650 * DAY, 2**63]
    if isinstance(value, str):
        return ["", "zz-unknown", "x" * 300] + (orgs if value in orgs else ids if value in ids else [])
    if isinstance(value, list):
        return [[], value + value, ["zz-unknown"]]
    if isinstance(value, bytes):
        return [b"", b"\x00" * 7]
    if isinstance(value, dict):
        return [{}]
    if isinstance(value, bool):
        return [not value]
    return []


def collect(w: World) -> Collected:
    got = Collected({})
    ids = sorted({v for v in w.t.values() if isinstance(v, str)})
    orgs = sorted(w.o.values())

    def call(who: str, key: str, args: dict, at: int | None, how: str) -> None:
        contract, method = key.split("#")[0].split(".")
        got.calls += 1
        rec, _, _ = w.speculate(who, contract, method, args, at)
        if rec is not None and rec.code != "ok":
            got.add(rec.message, f"{key} by {who} ({how}): {rec.code}")

    for key, row in TX_TABLE.items():  # the matrix: every member
        at = row.at(w) if row.at is not None else None
        for member in CALLERS:
            call(member, key, row.args(w, member), at, "the matrix")
    for key, row in TX_TABLE.items():  # a permitted member, one thing changed at a time
        at = row.at(w) if row.at is not None else None
        who = sorted(row.who)[0]
        base = row.args(w, who)
        if at is not None:
            call(who, key, base, None, "in the next block")
        for days in (1, 30, 400):
            call(who, key, base, w.now_ms + days * DAY * 1000, f"{days} days on")
        for name, value in base.items():
            for changed in variants(value, w, ids, orgs):
                call(who, key, {**base, name: changed}, at, f"{name}={str(changed)[:40]!r}")
            call(who, key, {k: v for k, v in base.items() if k != name}, at, f"without {name}")
        call(who, key, {**base, "zz_unknown": 1}, at, "an unknown argument")
    for key, qrow in QUERY_TABLE.items():  # every read, by every member
        contract, method = key.split("#")[0].split(".")
        for member in READERS:
            got.calls += 1
            try:
                w.query(member, contract, method, qrow.args(w))
            except (ContractError, Rejected) as exc:
                got.add(exc.message, f"{key} read by {member}: {exc.code}")
    return got


def test_every_refusal_the_world_gives_reads_well(world: World) -> None:
    got = collect(world)
    assert got.calls > 10_000 and len(got.where) > 1_000, (got.calls, len(got.where))  # the walk really walked
    bad = {message: (found, got.where[message]) for message in got.where if (found := problems(message))}
    report = "\n".join(f"  {message[:200]!r}\n    {'; '.join(found)}\n    from {', '.join(where)}"
                       for message, (found, where) in sorted(bad.items())[:40])
    assert not bad, (f"{len(bad)} of {len(got.where)} distinct refusal messages ({got.refusals} refusals of "
                     f"{got.calls} calls) do not read well:\n{report}")


# -- the messages in the source ----------------------------------------------------------------------

ERROR_CLASSES = {name for name, c in vars(contract_errors).items()
                 if isinstance(c, type) and issubclass(c, ContractError)}
TIME_VALUE = re.compile(r"(_at\b|\btime\b|maturity|expires|\bstart\b|\bend\b|closes|opens|deadline|\bdue\b|pay_by"
                        r"|\bdate\b|_date\b|reveal_end|period_end|resale)")
MONEY_VALUE = re.compile(r"(amount|price|balance|margin|ticket|\bsize\b|pooled|collected|distributed|outstanding"
                         r"|principal|interest|\blimit\b|undrawn|\bdraw\b|drawn|available|\bneed\b|reserve|increment"
                         r"|\bleft\b|\bopen\b|\bpaid\b|\bfees?\b)")
ROLE_VALUE = re.compile(r"(\brole\b|\[.type.\]|org_type)")
WORDED = {"date_time": "time", "a_role": "role", "role_word": "role", "a_mode": "article"}
HOLE = "\x00"


@dataclass(frozen=True)
class Template:
    where: str
    text: str  # the literal parts, HOLE where a value goes
    values: tuple[ast.FormattedValue, ...]  # what each HOLE shows


def render(node: ast.expr) -> list[tuple[str, tuple[ast.FormattedValue, ...]]]:
    """The message templates an expression can produce (both branches of a conditional)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.value, ())]
    if isinstance(node, ast.JoinedStr):
        text, values = "", []
        for part in node.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
            else:
                assert isinstance(part, ast.FormattedValue)
                text += HOLE
                values.append(part)
        return [(text, tuple(values))]
    if isinstance(node, ast.IfExp):
        return render(node.body) + render(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [(a + b, va + vb) for a, va in render(node.left) for b, vb in render(node.right)]
    return [(HOLE, (ast.FormattedValue(node, -1),))]  # a message made elsewhere (str(exc))


def templates() -> list[Template]:
    out = []
    for base in SOURCES:
        for path in sorted(base.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERROR_CLASSES
                        and node.args):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    out += [Template(where, text, values) for text, values in render(node.args[0])]
    return out


def template_problems(t: Template) -> list[str]:
    if t.text == HOLE:  # the message of another error (str(exc)), made and worded elsewhere
        return []
    out = problems(t.text.replace(HOLE, "X"))
    parts = t.text.split(HOLE)
    for i, hole in enumerate(t.values):
        value = hole.value
        source = ast.unparse(value)
        worded = isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in WORDED
        echoed = hole.conversion == ord("r")  # an argument shown back as given ('zz-unknown')
        before, after = parts[i], parts[i + 1]
        if worded:
            continue
        if TIME_VALUE.search(source):
            out.append(f"{{{source}}} shows a block time as a raw number (use date_time)")
        if ROLE_VALUE.search(source) and not echoed:
            out.append(f"{{{source}}} shows a role code (use a_role or role_word)")
        if MONEY_VALUE.search(source) and not re.match(rf"\s*(?:{UNITS}|{COUNTED})\b", after):
            out.append(f"{{{source}}} is an amount without its unit (fen)")
        if re.search(r"(?<![\w'])[Aa]n? $", before):
            out.append(f"an article before {{{source}}}, whose first letter is not known")
    return out


def test_every_refusal_message_in_the_contracts_source_reads_well() -> None:
    found = templates()
    per_module = defaultdict(int)
    for t in found:
        per_module[t.where.split("/")[2] if t.where.startswith("faechain/modules/") else "contracts"] += 1
    modules = {p.name for p in (ROOT / "faechain" / "modules").iterdir() if (p / "contract.py").exists()}
    assert modules <= set(per_module), f"no refusal messages found in {sorted(modules - set(per_module))}"
    assert len(found) > 300, len(found)
    bad = [(t, p) for t in found if (p := template_problems(t))]
    report = "\n".join(f"  {t.where}: {t.text.replace(HOLE, '{…}')[:160]!r}\n    {'; '.join(p)}" for t, p in bad)
    assert not bad, f"{len(bad)} of {len(found)} refusal messages in the source do not read well:\n{report}"


# -- the checks themselves ---------------------------------------------------------------------------------


@pytest.mark.parametrize("message", [
    "a holding is held 5 days before it is resold (acquired at 1841551200)",  # issue 24, verbatim
    "the payment deadline passed at 1841551200000",
    "a INVESTOR cannot sponsor a plan",  # issue 24, verbatim
    "a REGULATOR cannot bid",
    "a NPA package",
    "auction A-1 is a english auction",
    "an bank may not do this",
    "a distribution of 500 exceeds the 400 fen collected and undistributed",
    "the balance due is 135000000 fen (price 150000000 less the margin 15000000 fen), not 0 fen",
    "only the exchange may: not_found",
    "bad_request: amount must be positive",
    "invalid_state",
])
def test_the_checks_catch_what_issue_24_found(message: str) -> None:
    assert problems(message), message


@pytest.mark.parametrize("message", [
    "a holding is held 5 days before it is resold: acquired at 2028-05-10T06:00:00Z, it can be resold from "
    "2028-05-15T06:00:00Z",
    "an investor cannot sponsor a plan",
    "an asset management company cannot bid",
    "the certificate holds an SM2 key (suite sm2-sm3) but this chain's suite is ed25519",
    "open vouchers would reach 1000000000000 fen; credit lines total 10000000000000 fen",
    "amount must be 1 .. 2^63-1 fen",
    "a voucher draws on 1 to 50 invoices",
    "pooled 5 fen is below 12 fen (size x coverage 12000 bps)",
    "auction A-1-0-1 is an english auction, not a sealed one",
    "proposal G-15-0-1 has 0 of the 16 yes votes it needs: no majority to execute",
    "the bid of 91110000MA0000013X is a unique offer",
    "invoice 011001900777-00000007 has 5 fen undrawn, 7 fen requested",
])
def test_the_checks_pass_what_reads_well(message: str) -> None:
    assert not problems(message), problems(message)


def test_the_source_checks_catch_a_raw_time_an_amount_without_unit_and_a_role_code() -> None:
    source = '''
InvalidState(f"a holding is held {HOLD_DAYS} days before it is resold (acquired at {acquired_at})")
LimitExceeded(f"a distribution of {amount} exceeds the {available} fen collected")
Unauthorized(f"a {ctx.caller.role} cannot sponsor a plan")
InvalidState(f"auction {a['id']} is a {a['mode']} auction")
InvalidState(f"the sale closes at {date_time(a['end'])}: {amount} fen, {a_role(role)}")
'''
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in ERROR_CLASSES]
    found = [template_problems(Template("x", *render(c.args[0])[0])) for c in calls if isinstance(c.func, ast.Name)]
    assert any("acquired_at" in p for p in found[0]), found[0]
    assert any("{amount} is an amount without its unit" in p for p in found[1]), found[1]
    assert any("role code" in p for p in found[2]) and any("article" in p for p in found[2]), found[2]
    assert any("article before {a['mode']}" in p for p in found[3]), found[3]
    assert found[4] == [], found[4]


def test_block_times_and_roles_in_words() -> None:
    """The helpers the messages use: a block time as an ISO date/time in UTC, a role as a word."""
    assert date_time(1841551200) == "2028-05-10T06:00:00Z"
    assert date_time(0) == "1970-01-01T00:00:00Z"
    assert date_time(2**62) == f"{2**62} seconds from 1970-01-01T00:00:00Z"  # an argument that far off: no crash
    assert [a_role(r) for r in ("INVESTOR", "AMC", "CORE_ENTERPRISE", "EXCHANGE", "BANK")] == [
        "an investor", "an asset management company", "a core enterprise", "the exchange", "a bank"]
    assert all(not problems(f"{a_role(r)} cannot do this") for r in ORG_TYPES)
