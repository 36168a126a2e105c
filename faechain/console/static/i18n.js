// Chinese and English labels. Chinese is the default; the choice is remembered (localStorage).
import { STRINGS as BASE } from "./strings.js";
import { STRINGS as EXPLORER } from "./strings/explorer.js";
import { STRINGS as FORMS } from "./strings/forms.js";
import { STRINGS as OUTSIDE } from "./strings/outside.js";
import { STRINGS as PAYMENTS } from "./strings/payments.js";
import { STRINGS as REFUSALS } from "./strings/refusals.js";
import { STRINGS as REGULATOR } from "./strings/regulator.js";
import { STRINGS as ROLES } from "./strings/roles.js";
import { STRINGS as SUMMARY } from "./strings/summary.js";

// one table: the shell's labels (strings.js), then each area's own file (strings/<area>.js)
const STRINGS = { ...BASE, ...EXPLORER, ...FORMS, ...OUTSIDE, ...PAYMENTS, ...REFUSALS, ...REGULATOR, ...ROLES, ...SUMMARY };

const KEY = "fae.lang";
let current = (() => {
  try {
    return localStorage.getItem(KEY) === "en" ? "en" : "zh";
  } catch {
    return "zh";
  }
})();

export function lang() {
  return current;
}

export function setLang(l) {
  current = l === "en" ? "en" : "zh";
  try {
    localStorage.setItem(KEY, current);
  } catch {
    /* private mode: not remembered */
  }
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
}

// t("key") or t("key", {n: 3}) -> the label in the current language ("{n}" placeholders filled)
export function t(key, vars) {
  const entry = STRINGS[key];
  let s = entry ? entry[current === "zh" ? 0 : 1] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
  return s;
}

// a status or code label: "status.ACTIVE" if known, otherwise the raw value
export function tv(prefix, value) {
  const k = prefix + "." + value;
  return STRINGS[k] ? t(k) : String(value);
}

document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
