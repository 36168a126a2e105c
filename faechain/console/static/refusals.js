// Refusals a person can read: a receipt's code and English message ("limit_exceeded", "amount
// 150000000 fen exceeds the piece's 100000000 fen") shown in the console's language, amounts in
// 元 and times in China time ("金额 150.00 万元 超过本凭证的金额 100.00 万元").
//
// The browser's half of faechain/core/refusals.py, rendering the same catalog (GET
// /console/api/refusals, the package's core/refusals_zh.json) the same way: each template is an
// English message with named holes, each of a kind (money, bps, time, count, id, asset, repr,
// word, list, choice, text); a message no template matches gets its code's sentence, then the
// message with "N fen" as 元. tests/test_refusals.py runs both renderers on the same samples.
//
//   localiseRefusal(code, message)         in the current language (i18n.js lang()); never throws
//   refusalsReady()                        a promise: the catalog has loaded (or failed to)
//   renderRefusal(catalog, code, message, lang)   the pure renderer, for a catalog already read
import { lang } from "./i18n.js";

const MAX_MATCHED = 2000; // longer messages are not matched against templates (as in Python)
const HOLE = /\{\{|\}\}|\{([A-Za-z_][A-Za-z_0-9]*)\}/g;
const FEN = /(-?\d+) fen\b/g;
const ISO = /\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/g;
const ARTICLE = /^(?:an?|the) /;
const LIST_SEP = /(, | or )/;
const LIST_JOIN = { ", ": "、", " or ": "或" };
const SUFFIX = { money: " fen", bps: " bps" }; // the unit the English template writes after the hole

// a template as literal strings and [hole name] arrays; "{{" and "}}" are literal braces
export function parseTemplate(template) {
  const out = [];
  let text = "";
  let pos = 0;
  for (const m of template.matchAll(HOLE)) {
    text += template.slice(pos, m.index);
    pos = m.index + m[0].length;
    if (m[1] === undefined) {
      text += m[0][0];
    } else {
      out.push(text, [m[1]]);
      text = "";
    }
  }
  out.push(text + template.slice(pos));
  return out;
}

function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function escapeBraces(s) {
  return s.replace(/\{/g, "{{").replace(/\}/g, "}}");
}

function compileTemplate(entry, patterns) {
  const holes = entry.holes || {};
  const choices = entry.choices || {};
  const parts = parseTemplate(entry.en);
  let regex = "", literal = 0, enOut = "";
  const names = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (Array.isArray(part)) {
      const name = part[0], kind = holes[name];
      const pattern = kind === "choice" ? Object.keys(choices[name]).map(escapeRegex).join("|") : patterns[kind];
      regex += "((?:" + pattern + "))";
      names.push(name);
      enOut += "{" + name + "}";
      const next = i + 1 < parts.length ? parts[i + 1] : "";
      if (SUFFIX[kind] && typeof next === "string" && next.startsWith(SUFFIX[kind])) {
        // the unit is matched here and left out of the rendering, which shows its own
        parts[i + 1] = next.slice(SUFFIX[kind].length);
        regex += escapeRegex(SUFFIX[kind]);
        literal += SUFFIX[kind].length;
      }
    } else {
      regex += escapeRegex(part);
      literal += part.length;
      enOut += escapeBraces(part);
    }
  }
  return { codes: entry.codes, zh: entry.zh, enOut: entry.en_out || enOut, holes, choices, names,
    regex: new RegExp("^(?:" + regex + ")$"), literal };
}

// the catalog's JSON, compiled: templates most specific first (a stable sort, as Python's)
export function compileCatalog(data) {
  const templates = data.templates.map((e) => compileTemplate(e, data.patterns));
  templates.sort((a, b) => b.literal - a.literal);
  const byCode = new Map();
  for (const t of templates) {
    for (const code of t.codes) {
      if (!byCode.has(code)) byCode.set(code, []);
      byCode.get(code).push(t);
    }
  }
  return { templates, byCode, words: data.words, codes: data.codes, unknownCode: data.unknown_code };
}

// -- amounts, rates and times (as faechain.core.refusals writes them) ----------------------------
function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function two(n) {
  return n.toString().padStart(2, "0");
}

// integer fen (a string of digits) -> "1,500,000.00 元"; in Chinese 万元/亿元 when exact
export function yuanText(fen, language) {
  let v = BigInt(fen);
  const sign = v < 0n ? "-" : "";
  if (v < 0n) v = -v;
  if (language === "zh") {
    if (v >= 10n ** 10n && v % 10n ** 8n === 0n) return `${sign}${group((v / 10n ** 10n).toString())}.${two(v % 10n ** 10n / 10n ** 8n)} 亿元`;
    if (v >= 10n ** 6n && v % 10n ** 4n === 0n) return `${sign}${group((v / 10n ** 6n).toString())}.${two(v % 10n ** 6n / 10n ** 4n)} 万元`;
    return `${sign}${group((v / 100n).toString())}.${two(v % 100n)} 元`;
  }
  return `${sign}${group((v / 100n).toString())}.${two(v % 100n)} 元`;
}

export function percentText(bps) {
  let v = BigInt(bps);
  const sign = v < 0n ? "-" : "";
  if (v < 0n) v = -v;
  const frac = two(v % 100n).replace(/0+$/, "");
  return `${sign}${v / 100n}${frac ? "." + frac : ""}%`;
}

// "2028-05-10T06:00:00Z" -> "2028-05-10 14:00" (China time; seconds only when not zero), in
// English with "(UTC+8)"; anything that is not a date of the years 1..9999 comes back as it was
export function chinaTime(iso, language) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/.exec(iso);
  if (!m) return iso;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  if (y < 1 || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || t.getUTCHours() !== h
      || t.getUTCMinutes() !== mi || t.getUTCSeconds() !== s) return iso;
  const c = new Date(t.getTime() + 8 * 3600 * 1000);
  if (c.getUTCFullYear() > 9999) return iso;
  let shown = `${c.getUTCFullYear().toString().padStart(4, "0")}-${two(c.getUTCMonth() + 1)}-${two(c.getUTCDate())} `
    + `${two(c.getUTCHours())}:${two(c.getUTCMinutes())}`;
  if (c.getUTCSeconds()) shown += ":" + two(c.getUTCSeconds());
  return language === "zh" ? shown : shown + " (UTC+8)";
}

export function unitsInText(message, language) {
  return message.replace(FEN, (_, n) => yuanText(n, language)).replace(ISO, (_, t) => chinaTime(t, language));
}

function unquote(v) {
  return v.length >= 2 && v[0] === v[v.length - 1] && (v[0] === "'" || v[0] === '"') ? v.slice(1, -1) : v;
}

// -- the renderer -------------------------------------------------------------------------------------
function word(cat, v) {
  if (Object.hasOwn(cat.words, v)) return cat.words[v];
  const bare = v.replace(ARTICLE, "");
  return Object.hasOwn(cat.words, bare) ? cat.words[bare] : v;
}

function hole(cat, kind, value, language, choices) {
  if (kind === "money") return yuanText(value, language);
  if (kind === "bps") return percentText(value);
  if (kind === "time") return chinaTime(value, language);
  if (kind === "text") return unitsInText(value, language);
  if (language !== "zh") return value;
  if (kind === "id" || kind === "repr") return unquote(value);
  if (kind === "asset") {
    const v = unquote(value), i = v.indexOf(":");
    const what = i >= 0 ? v.slice(0, i) : "";
    return i >= 0 && Object.hasOwn(cat.words, what) ? `${cat.words[what]} ${v.slice(i + 1)}` : v;
  }
  if (kind === "word") return word(cat, value);
  if (kind === "list") return value.split(LIST_SEP).map((p, i) => (i % 2 ? LIST_JOIN[p] || p : word(cat, p))).join("");
  if (kind === "choice" && choices) return Object.hasOwn(choices, value) ? choices[value] : value;
  return value;
}

function match(cat, code, message) {
  if (message.length > MAX_MATCHED) return null;
  for (const t of [...(cat.byCode.get(code) || []), ...cat.templates]) {
    const m = t.regex.exec(message);
    if (m) return [t, Object.fromEntries(t.names.map((n, i) => [n, m[i + 1]]))];
  }
  return null;
}

function sentence(cat, code, language) {
  const i = language === "zh" ? 0 : 1;
  return Object.hasOwn(cat.codes, code) ? cat.codes[code][i] : cat.unknownCode[i].split("{code}").join(code);
}

const compiledOf = new WeakMap();

// a refusal in `language` ("zh" or "en") by the catalog `data` (its JSON, compiled once)
export function renderRefusal(data, code, message, language) {
  const lang2 = language === "zh" ? "zh" : "en";
  const codeText = String(code ?? "");
  const text = message === null || message === undefined ? "" : String(message);
  try {
    if (!compiledOf.has(data)) compiledOf.set(data, compileCatalog(data));
    const cat = compiledOf.get(data);
    const found = match(cat, codeText, text);
    if (found) {
      const [t, values] = found;
      return parseTemplate(lang2 === "zh" ? t.zh : t.enOut)
        .map((p) => (Array.isArray(p) ? hole(cat, t.holes[p[0]] || "text", values[p[0]] ?? "", lang2, t.choices[p[0]]) : p))
        .join("");
    }
    const head = sentence(cat, codeText, lang2);
    return text ? head + (lang2 === "zh" ? "：" : ": ") + unitsInText(text, lang2) : head;
  } catch {
    return text ? `${codeText}: ${text}` : codeText;
  }
}

// -- the console's catalog, loaded once ------------------------------------------------------------
let catalogData = null;
let loading = null;

export function refusalsReady() {
  if (!loading) {
    loading = (typeof fetch === "function" && typeof location !== "undefined"
      ? fetch("/console/api/refusals", { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null))
      : Promise.resolve(null))
      .then((data) => {
        catalogData = data;
      })
      .catch(() => {
        /* no catalog: messages show with "N fen" as 元 only */
      });
  }
  return loading;
}

// `message` of a refusal with `code`, in the console's language. Before the catalog has loaded
// (or if it cannot), the message with its amounts in 元.
export function localiseRefusal(code, message) {
  const language = lang();
  if (catalogData) return renderRefusal(catalogData, code, message, language);
  refusalsReady();
  const text = message === null || message === undefined ? "" : String(message);
  return unitsInText(text, language) || String(code ?? "");
}
