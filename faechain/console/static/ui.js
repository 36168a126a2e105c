// Small DOM toolkit shared by every view: elements, tables, forms, dialogs, and the signing
// dialog that shows exactly what the node signed for the member before and after sending.
import { watchAmount } from "./amount.js";
import * as api from "./api.js";
import { datetime, orgName, short, yuan } from "./fmt.js";
import { t, tv } from "./i18n.js";
import { localiseRefusal, refusalsReady } from "./refusals.js";
import { whatWillHappen } from "./outcomes.js";
import { hasherFor } from "./smt.js";
import { summaryRows } from "./summary.js";
import { checkSigned } from "./verify.js";

// h("div.card#id", {onclick, ...attrs}, ...children)
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(tag);
  // a tag it cannot read would silently become a <div> (a "button" no keyboard reaches): refuse it
  if (!m) throw new Error(`h(): cannot read the tag ${JSON.stringify(tag)} (name, then .class or #id parts)`);
  const el = document.createElement(m[1] || "div");
  if (m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === ".") el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs !== null && attrs !== undefined && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  if (el.matches(SCROLLERS)) keyboardScrolls(el);
  return el;
}

// The boxes style.css lets scroll when their content is wider (a table or a tree on a phone) or
// taller (a long <pre>). A keyboard user can scroll one only once it takes the focus, so it takes
// the focus (tabindex 0) exactly while its content overflows: no extra Tab stop where it fits.
// One observer for every such box h() makes; it is told again whenever the box changes size.
const SCROLLERS = "table, pre, .card, .tree-wrap";
let sizes = null;
function keyboardScrolls(el) {
  if (typeof ResizeObserver === "undefined") return;
  sizes ??= new ResizeObserver((entries) => {
    for (const { target } of entries) focusIfOverflowing(target);
  });
  sizes.observe(el);
}

function focusIfOverflowing(target) {
  const overflows = target.scrollWidth > target.clientWidth + 1 || target.scrollHeight > target.clientHeight + 1;
  if (overflows) target.setAttribute("tabindex", "0");
  else if (target.getAttribute("tabindex") === "0") target.removeAttribute("tabindex");
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function section(title, ...children) {
  return h("section.card", h("h2", title), ...children);
}

export function badge(status, prefix = "status") {
  return h("span.badge.s-" + String(status).toLowerCase(), tv(prefix, status));
}

export function org(id) {
  return h("span.org", { title: id }, orgName(id));
}

export function idLink(id, kind) {
  if (!id) return "—";
  return h("a.id", { href: `#/explorer/${kind}/${encodeURIComponent(id)}`, title: id }, id);
}

export function txLink(hash) {
  if (!hash) return "—";
  return h("a.hash", { href: `#/explorer/tx/${hash}`, title: hash }, short(hash, 12));
}

// columns: [[label, row => cell], ...]; rows: array; opts.empty: text when none
export function table(columns, rows, opts = {}) {
  if (!rows || rows.length === 0) return h("p.empty", opts.empty || t("none"));
  return h("table" + (opts.cls ? "." + opts.cls : ""),
    h("thead", h("tr", columns.map(([label]) => h("th", label)))),
    h("tbody", rows.map((row) => h("tr", opts.rowAttrs ? opts.rowAttrs(row) : null, columns.map(([, cell]) => h("td", cell(row)))))));
}

export function kv(pairs) {
  return h("dl.kv", pairs.filter(Boolean).map(([k, v]) => [h("dt", k), h("dd", v === undefined || v === null || v === "" ? "—" : v)]));
}

// fields: [{name, label, type: text|number|date|select|textarea, options: [[value, label]], value, placeholder}]
// onSubmit(values) is awaited; the form's button is disabled while it runs
export function form(fields, submitLabel, onSubmit, opts = {}) {
  const inputs = {};
  const watchers = [];
  const current = () => Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value.trim()]));
  const el = h("form.form" + (opts.id ? "#" + opts.id : ""), { autocomplete: "off" });
  for (const f of fields) {
    let input;
    const attrs = { name: f.name, id: opts.id ? `${opts.id}-${f.name}` : null, placeholder: f.placeholder || null, required: f.optional ? null : true };
    if (f.type === "select") {
      input = h("select", attrs, (f.options || []).map(([v, label]) => h("option", { value: v }, label)));
      if (f.value !== undefined) input.value = f.value;
    } else if (f.type === "textarea") {
      input = h("textarea", attrs);
      if (f.value !== undefined) input.value = f.value;
    } else {
      input = h("input", { ...attrs, type: f.type === "date" ? "date" : f.type === "password" ? "password" : "text", value: f.value ?? null });
    }
    inputs[f.name] = input;
    // an amount checks itself as it is typed, against what the member may use now (amount.js)
    const line = f.type === "money" ? watchAmount(input, f, current, () => h("small.live", { "aria-live": "polite" })) : null;
    if (line) watchers.push(line.update);
    el.append(h("label", h("span", f.label), input, f.hint ? h("small", f.hint) : null, line ? line.live : null));
  }
  // what another field picks (a voucher, a payment kind) may change what an amount may be
  el.addEventListener("change", () => watchers.forEach((update) => update()));
  watchers.forEach((update) => update());
  const button = h("button.primary", { type: "submit", id: opts.id ? `${opts.id}-submit` : null }, submitLabel);
  el.append(h("div.actions", button));
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const values = {};
    for (const [k, input] of Object.entries(inputs)) values[k] = input.value.trim();
    button.disabled = true;
    try {
      await onSubmit(values, el);
    } catch (e) {
      toast(e.msg || e.message, "error");
    } finally {
      button.disabled = false;
    }
  });
  el.inputs = inputs;
  return el;
}

let pressed = null; // the button last pressed (see dialog)

// `cls`: class names separated by spaces or dots ("small primary")
export function button(label, onClick, cls = "", attrs = {}) {
  const classes = String(cls).split(/[\s.]+/).filter(Boolean);
  const b = h("button" + classes.map((c) => "." + c).join(""), { type: "button", ...attrs }, label);
  b.addEventListener("click", async (ev) => {
    pressed = b; // disabled while it works, it loses the focus: a dialog it opens gives it back
    b.disabled = true;
    try {
      await onClick(ev);
    } catch (e) {
      toast(e.msg || e.message, "error");
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

export function toast(text, kind = "info") {
  const el = h("div.toast." + kind, text);
  document.getElementById("toasts").append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}

const FOCUSABLE = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

// a modal dialog; resolves with what the clicked button returns. It takes the focus (its first
// field, else its first button), keeps Tab and Shift+Tab inside it, closes on Esc as its cancel
// button would (the button whose value is false or null), and gives the focus back on closing.
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const root = document.getElementById("modal-root");
    const active = document.activeElement;
    const opener = active && active !== document.body ? active : pressed;
    const cancel = buttons.find(([, value]) => value === false || value === null);
    const close = (v) => {
      root.replaceChildren();
      resolve(v);
      // after the opener's own work has ended (a pressed button is re-enabled then)
      setTimeout(() => {
        if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      }, 0);
    };
    const titleId = "modal-title-" + Math.random().toString(36).slice(2);
    const box = h("div.modal", { role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title), body,
      h("div.actions", buttons.map(([label, value, cls, id]) => button(label, () => close(value), cls || "", { id: id || null }))));
    box.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.preventDefault();
        close(cancel ? cancel[1] : null);
      } else if (ev.key === "Tab") {
        const items = [...box.querySelectorAll(FOCUSABLE)].filter((e) => e.offsetParent !== null);
        if (!items.length) return;
        const first = items[0], last = items[items.length - 1];
        if (ev.shiftKey && document.activeElement === first) {
          ev.preventDefault();
          last.focus();
        } else if (!ev.shiftKey && document.activeElement === last) {
          ev.preventDefault();
          first.focus();
        }
      }
    });
    root.replaceChildren(h("div.backdrop", box));
    const field = box.querySelector("input, select, textarea");
    (field || box.querySelector(".actions button") || box).focus();
  });
}

function signedView(signed, check) {
  return h("div.signed",
    kv([
      [t("contract"), h("code", signed.contract)],
      [t("method"), h("code#signed-method", signed.method)],
      [t("signer"), [signed.signer_name, " · ", orgName(signed.signer_org), " · ", h("code", short(signed.signer, 16))]],
      [t("nonce"), h("code", signed.nonce)],
      [t("expires"), datetime(signed.expires)],
      [t("tx_hash"), h("code#signed-hash", signed.tx_hash)],
      [t("check_in_browser"), check.ok ? h("span.ok#signed-check", "✓ " + t(check.hashed ? "body_matches" : "body_fields_match")) : h("span.bad#signed-check", "✗ " + check.problems.join("; "))],
    ]),
    h("h3", t("what_you_sign")),
    h("dl.kv#signed-summary", summaryRows(signed.args).flatMap(([k, v]) => [h("dt", k), h("dd", v)])),
    h("details", h("summary", t("raw_body")), h("pre.args#signed-args", JSON.stringify(signed.args, null, 2))));
}

function receiptView(receipt) {
  const ok = receipt.code === "ok";
  return h("div.receipt",
    h("p", ok ? h("strong.ok#receipt-code", "✓ " + t("committed")) : h("strong.bad#receipt-code", "✗ " + t("refused")), " ",
      h("span#receipt-message", ok ? receipt.message || "" : refusalText(receipt.code, receipt.message)),
      ok ? null : h("code.note", { title: t("code_for_support") }, " " + receipt.code)),
    kv([
      [t("height"), receipt.height],
      [t("tx_hash"), txLink(receipt.tx_hash)],
      [t("result"), receipt.result ? h("code#receipt-result", JSON.stringify(receipt.result)) : null],
    ]),
    receipt.events && receipt.events.length ? h("ul.events", receipt.events.map((e) => h("li", h("code", `${e.contract}.${e.type}`), " ", JSON.stringify(e.attrs)))) : null);
}

// what the dry run of the signed transaction said (Signing.trial on the node): accepted, refused
// with the block's own code and message, or not known
function trialView(trial) {
  if (trial.code === "ok") {
    // a financing's quote or funding: the advance the chain computed, to the fen, before signing
    const r = trial.result || {};
    return h("div.trial.ok#dry-run", h("p", "✓ " + t("dry_run_ok", { height: trial.height })),
      Number.isInteger(r.advance) ? h("p#dry-run-advance", h("strong", t("dry_run_advance", { advance: yuan(r.advance) })),
        Number.isInteger(r.discount) ? " " + t("dry_run_discount", { discount: yuan(r.discount) }) : null) : null);
  }
  if (trial.code === "unavailable") return h("p.trial.note#dry-run", t("dry_run_unavailable", { message: trial.message || "—" }));
  return h("div.trial.refused#dry-run", { role: "alert" },
    h("p", h("strong.bad", "✗ " + t("dry_run_refused"))),
    h("p#dry-run-message", refusalText(trial.code, trial.message)),
    h("p.note", t("dry_run_note")));
}

// a refusal in the member's words: the code's sentence or the message's own template, in the
// member's language, amounts in 元 and times as China-time dates (refusals.js)
function refusalText(code, message) {
  return localiseRefusal(code, message);
}

let suite = "ed25519";
export function setSuite(name) {
  suite = name;
}

// Ask the node to sign contract.method(args) as the member, show exactly what it signed,
// submit on confirmation, and show the receipt with what was signed. -> receipt or null
export async function signAndSubmit(contract, method, args, title) {
  await refusalsReady();
  const prepared = await api.prepare(contract, method, args);
  const signed = prepared.signed;
  const check = await checkSigned(signed, hasherFor(suite));
  const said = await whatWillHappen(signed.contract, signed.method, signed.args, { me: signed.signer_org, name: signed.signer_name });
  const trial = prepared.dry_run || { code: "unavailable", message: "" };
  const refused = trial.code !== "ok" && trial.code !== "unavailable";
  // a refusal the dry run foresees: cancelling is the default, sending stays possible (the
  // state may change before the block: the block decides)
  const buttons = refused
    ? [[t("cancel"), false, "primary", "sign-cancel"], [t("submit_anyway"), true, "", "sign-confirm"]]
    : [[t("cancel"), false, "", "sign-cancel"], [t("submit_signed"), true, "primary", "sign-confirm"]];
  const go = await dialog(title || t("confirm_sign"),
    h("div", trialView(trial), h("div.outcome#signed-outcome", h("h3", t("what_will_happen")), said.map((x) => h("p", x))),
      h("p.note", t("sign_note")), signedView(signed, check)), buttons);
  if (!go) {
    toast(t("not_sent"));
    return null;
  }
  const done = await api.submit(signed.tx_hash);
  await dialog(done.receipt.code === "ok" ? t("done") : t("refused"), h("div", receiptView(done.receipt), h("details", h("summary", t("what_was_signed")), signedView(done.signed, check))),
    [[t("close"), true, "primary", "receipt-close"]]);
  return done.receipt;
}

export function loading() {
  return h("p.loading", t("loading"));
}

// an error as a person reads it: a node's refusal (an ApiError's code and English message) in the
// console's language, amounts in 元 (refusals.js); its code stays in data-code and the tooltip
export function errorBox(e) {
  if (!e || typeof e.code !== "string" || typeof e.msg !== "string") return h("p.error", (e && (e.msg || e.message)) || String(e));
  const el = h("p.error", { "data-code": e.code, title: t("refusal.code") + " " + e.code }, localiseRefusal(e.code, e.msg));
  refusalsReady().then(() => { el.textContent = localiseRefusal(e.code, e.msg); }); // the catalog may come after
  return el;
}

// render async content into a placeholder: slot(async () => node)
export function slot(fn) {
  const el = h("div.slot", loading());
  (async () => {
    try {
      clear(el, await fn());
    } catch (e) {
      clear(el, errorBox(e));
    }
    // a box whose size the grid fixes (a card in .cols) is not resized by what fills it: look again
    requestAnimationFrame(() => {
      const box = el.parentElement && el.parentElement.closest(SCROLLERS);
      if (box) focusIfOverflowing(box);
    });
  })();
  return el;
}

// ask for one line of text in a dialog; throws when cancelled
export async function askText(label, value = "") {
  const input = h("input#ask-input", { type: "text", value });
  const ok = await dialog(label, h("label", h("span", label), input), [[t("cancel"), false, "", "ask-cancel"], [t("ok"), true, "primary", "ask-ok"]]);
  if (!ok || !input.value.trim()) throw new Error(t("cancelled"));
  return input.value.trim();
}
