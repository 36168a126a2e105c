"""Refusals a person can read, in Chinese or English: `localise(code, message, lang)`.

A refused transaction's receipt keeps the code and the English sentence the contract wrote
("limit_exceeded", "amount 150000000 fen exceeds the piece's 100000000 fen"): receipts are
hashed into blocks, so they never change. What a person reads is made from them here:

    localise("limit_exceeded", "amount 150000000 fen exceeds the piece's 100000000 fen", "zh")
    -> "金额 150.00 万元 超过本凭证的金额 100.00 万元"
    localise(..., "en") -> "amount 1,500,000.00 元 exceeds the piece's 1,000,000.00 元"

The catalog is data (`refusals_zh.json` beside this file), so that the console's
`static/refusals.js` renders the very same templates (served at GET /console/api/refusals).
Each template is an English message as the code writes it, its `{holes}` named, each of a
kind that says how it is matched and shown:

    money   integer fen followed by " fen"   -> "1,500,000.00 元" / "150.00 万元"
    bps     basis points followed by " bps"  -> "150%"
    time    `contracts.time.date_time`'s ISO 8601 UTC ("2028-05-10T06:00:00Z")
                                             -> China time, "2028-05-10 14:00"
    count   an integer (a limit, a height, a number of days)
    id      an identifier without spaces (quotes of a repr are dropped in Chinese)
    asset   an asset reference, "<kind>:<id>" ("voucher:V-1" -> "凭证 V-1")
    repr    a quoted Python repr ('V-1'), told apart from the words around it by its quotes
    word    a word the catalog's `words` table translates (a status, a role, a field name)
    list    words joined by ", " or " or "
    choice  one of the template's `choices`
    text    anything (a reason, a library's message)

A message no template matches gets the code's sentence, then the message itself with every
"N fen" turned into 元 and every ISO time into China time. `localise` never raises.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("refusals_zh.json")
MAX_MATCHED = 2000  # longer messages are not matched against templates (bounds the regex work)

_HOLE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z_0-9]*)\}")
# re.ASCII throughout: \d, \s and \b mean what they mean in JavaScript, so refusals.js agrees
_FEN = re.compile(r"(-?\d+) fen\b", re.ASCII)
_ISO = re.compile(r"\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", re.ASCII)
_ARTICLE = re.compile(r"^(?:an?|the) ")
_LIST_SEP = re.compile(r"(, | or )")
_LIST_JOIN = {", ": "、", " or ": "或"}
_CHINA = timedelta(hours=8)
_SUFFIX = {"money": " fen", "bps": " bps"}  # the unit the English template writes after the hole


@dataclass(frozen=True)
class Template:
    """One catalog entry, compiled: `parts` alternate literal text and hole names."""

    codes: tuple[str, ...]
    en: str
    zh: str
    en_out: str  # the English rendering: `en` without the units the rendered holes now carry
    holes: Mapping[str, str]  # name -> kind
    choices: Mapping[str, Mapping[str, str]]
    names: tuple[str, ...]  # the holes in the order the message has them
    regex: re.Pattern[str]
    literal: int  # characters of literal text: the more, the more specific (tried first)


def parse(template: str) -> list[str | tuple[str]]:
    """A template as literal strings and (hole name,) tuples; "{{" and "}}" are literal braces."""
    out: list[str | tuple[str]] = []
    text = ""
    pos = 0
    for m in _HOLE.finditer(template):
        text += template[pos:m.start()]
        pos = m.end()
        if m.group(1) is None:
            text += m.group(0)[0]
        else:
            out.append(text)
            out.append((m.group(1),))
            text = ""
    out.append(text + template[pos:])
    return out


def shape(template: str) -> str:
    """A template with its hole names dropped ("amount {} fen exceeds ..."): what the code's
    f-string and the catalog's entry must share."""
    return "".join("{}" if isinstance(p, tuple) else p.replace("{", "{{").replace("}", "}}")
                   for p in parse(template))


def _compile(entry: Mapping[str, Any], patterns: Mapping[str, str]) -> Template:
    holes: dict[str, str] = dict(entry["holes"])
    choices: dict[str, dict[str, str]] = {k: dict(v) for k, v in (entry.get("choices") or {}).items()}
    regex, names, literal, en_out = "", [], 0, ""
    parts = parse(entry["en"])
    for i, part in enumerate(parts):
        if isinstance(part, tuple):
            name = part[0]
            kind = holes[name]
            pattern = "|".join(map(re.escape, choices[name])) if kind == "choice" else patterns[kind]
            regex += f"((?:{pattern}))"
            names.append(name)
            en_out += "{" + name + "}"
            nxt = parts[i + 1] if i + 1 < len(parts) else ""
            if kind in _SUFFIX and isinstance(nxt, str) and nxt.startswith(_SUFFIX[kind]):
                # the unit is matched here and left out of the rendering, which shows its own
                parts[i + 1] = nxt[len(_SUFFIX[kind]):]
                regex += re.escape(_SUFFIX[kind])
                literal += len(_SUFFIX[kind])
        else:
            regex += re.escape(part)
            literal += len(part)
            en_out += part.replace("{", "{{").replace("}", "}}")
    return Template(tuple(entry["codes"]), entry["en"], entry["zh"], entry.get("en_out") or en_out, holes, choices,
                    tuple(names), re.compile(regex, re.ASCII), literal)


class Catalog:
    """The templates indexed by code (most specific first), the words and the codes' sentences."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.words: Mapping[str, str] = data["words"]
        self.codes: Mapping[str, list[str]] = data["codes"]
        self.unknown_code: list[str] = data["unknown_code"]
        compiled = [_compile(e, data["patterns"]) for e in data["templates"]]
        # a stable sort: equally specific templates keep the file's order (refusals.js sorts alike)
        self.templates = sorted(compiled, key=lambda t: -t.literal)
        self.by_code: dict[str, list[Template]] = {}
        for t in self.templates:
            for code in t.codes:
                self.by_code.setdefault(code, []).append(t)

    def match(self, code: str, message: str) -> tuple[Template, dict[str, str]] | None:
        """The template `message` was written from (those of `code` first, then any), and its holes."""
        if len(message) > MAX_MATCHED:
            return None
        own = self.by_code.get(code, [])
        for t in (*own, *self.templates):
            m = t.regex.fullmatch(message)
            if m is not None:
                return t, dict(zip(t.names, m.groups(), strict=True))
        return None

    def sentence(self, code: str, lang: str) -> str:
        pair = self.codes.get(code)
        if pair is not None:
            return pair[0 if lang == "zh" else 1]
        return self.unknown_code[0 if lang == "zh" else 1].replace("{code}", code)

    def render(self, t: Template, values: Mapping[str, str], lang: str) -> str:
        out = []
        for part in parse(t.zh if lang == "zh" else t.en_out):
            if isinstance(part, tuple):
                name = part[0]
                out.append(self.hole(t.holes.get(name, "text"), values.get(name, ""), lang, t.choices.get(name)))
            else:
                out.append(part)
        return "".join(out)

    def hole(self, kind: str, value: str, lang: str, choices: Mapping[str, str] | None = None) -> str:
        """One hole's value as `lang` shows it."""
        if kind == "money":
            return yuan(int(value), lang)
        if kind == "bps":
            return percent(int(value))
        if kind == "time":
            return china_time(value, lang)
        if kind == "text":  # a reason or a library's message may name an amount or a time too
            return units_in_text(value, lang)
        if lang != "zh":
            return value
        if kind in ("id", "repr"):
            return unquote(value)
        if kind == "asset":  # "voucher:V-1" -> "凭证 V-1"
            what, colon, ident = unquote(value).partition(":")
            return f"{self.words[what]} {ident}" if colon and what in self.words else unquote(value)
        if kind == "word":
            return self.word(value)
        if kind == "list":  # "voucher, invoice" -> "凭证、发票"; "text or a byte string" -> "文本或字节串"
            return "".join(_LIST_JOIN.get(p, p) if i % 2 else self.word(p)
                           for i, p in enumerate(_LIST_SEP.split(value)))
        if kind == "choice" and choices:
            return choices.get(value, value)
        return value

    def word(self, value: str) -> str:
        if value in self.words:
            return self.words[value]
        bare = _ARTICLE.sub("", value)
        return self.words.get(bare, value)

    def localise(self, code: str, message: str, lang: str, explain: bool = True) -> str:
        found = self.match(code, message)
        if found is not None:
            return self.render(found[0], found[1], lang)
        if not explain:
            return units_in_text(message, lang)
        head = self.sentence(code, lang)
        if not message:
            return head
        return head + ("：" if lang == "zh" else ": ") + units_in_text(message, lang)


# -- amounts, rates and times ------------------------------------------------------------------
def yuan(fen: int, lang: str = "en") -> str:
    """Integer fen as 元: "1,500,000.00 元"; in Chinese 万元/亿元 when that is exact to the fen
    shown ("150.00 万元", "1.20 亿元"), else "1,234,567.89 元"."""
    sign, v = ("-" if fen < 0 else ""), abs(fen)
    if lang == "zh":
        if v >= 10**10 and v % 10**8 == 0:
            return f"{sign}{v // 10**10:,}.{v % 10**10 // 10**8:02d} 亿元"
        if v >= 10**6 and v % 10**4 == 0:
            return f"{sign}{v // 10**6:,}.{v % 10**6 // 10**4:02d} 万元"
        return f"{sign}{v // 100:,}.{v % 100:02d} 元"
    return f"{sign}{v // 100:,}.{v % 100:02d} 元"


def percent(bps: int) -> str:
    """Basis points as a percentage: 15000 -> "150%", 125 -> "1.25%"."""
    sign, v = ("-" if bps < 0 else ""), abs(bps)
    frac = f"{v % 100:02d}".rstrip("0")
    return f"{sign}{v // 100}{'.' + frac if frac else ''}%"


def china_time(iso: str, lang: str = "en") -> str:
    """"2028-05-10T06:00:00Z" as China time, "2028-05-10 14:00" (seconds only when not zero);
    in English with "(UTC+8)" after it. Anything else comes back as it was."""
    try:
        t = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + _CHINA
    except (ValueError, OverflowError):
        return iso
    shown = f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"
    if t.second:
        shown += f":{t.second:02d}"
    return shown if lang == "zh" else shown + " (UTC+8)"


def units_in_text(message: str, lang: str) -> str:
    """A sentence no template knows, with "N fen" as 元 and ISO times as China time."""
    text = _FEN.sub(lambda m: yuan(int(m.group(1)), lang), message)
    return _ISO.sub(lambda m: china_time(m.group(1), lang), text)


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


# -- the module's entry points ---------------------------------------------------------------------
@functools.cache
def catalog() -> Catalog:
    with open(CATALOG_FILE, encoding="utf-8") as f:
        return Catalog(json.load(f))


def language(tag: str | None) -> str:
    """"zh" for any Chinese tag ("zh", "zh-CN", "zh_CN.UTF-8"), else "en"."""
    return "zh" if (tag or "").strip().lower().startswith("zh") else "en"


def language_from_env(environ: Mapping[str, str]) -> str:
    """The language a command line speaks: the first of LC_ALL, LC_MESSAGES and LANG that is
    set (POSIX's order) decides, Chinese when it starts with "zh"."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return language(environ[name])
    return "en"


def localise(code: object, message: object, lang: str = "en", *, explain: bool = True) -> str:
    """A refusal (`code`, the receipt's English `message`) as a person reads it in `lang`
    ("zh" or "en"): amounts in 元, times in China time. Never raises. A message no template
    knows comes after its code's sentence, unless `explain` is False (a caller that shows the
    code itself, in English)."""
    lang = language(lang) if isinstance(lang, str) else "en"
    code_s = code if isinstance(code, str) else str(code)
    text = message if isinstance(message, str) else ("" if message is None else str(message))
    try:
        return catalog().localise(code_s, text, lang, explain)
    except Exception:  # noqa: BLE001 - a refusal must always be shown, whatever the catalog makes of it
        return f"{code_s}: {text}" if text else code_s


__all__ = ["CATALOG_FILE", "Catalog", "Template", "catalog", "china_time", "language", "language_from_env",
           "localise", "percent", "shape", "units_in_text", "yuan"]
