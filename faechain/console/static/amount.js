// An amount field that checks itself as the member types (issue 19: "forms validate as you type:
// amounts formatted, minimums and what is available shown"). Under the field one live line says
// what the typed text means ("= 3,000,000.00 元（300.00 万元）· 700,000.00 元 left"), or what is
// wrong with it ("more than the 1,000,000.00 元 available"), before anything is signed; a wrong
// amount also blocks the form's submit (the browser's own validity message names the problem).
//
// spec: {max(values) -> fen | null, min(values) -> fen | null}: what the member may use now,
// read from the form's other fields (the voucher picked, the plan chosen); either may be absent.
import { parseYuan, yuan } from "./fmt.js";
import { t } from "./i18n.js";
import { moneyRow } from "./summary.js";

// the live line for `text` against [min, max]: {text, bad}
export function judgeAmount(text, min, max) {
  const typed = String(text || "").trim();
  if (!typed) {
    if (max !== null && max !== undefined) return { text: t("amount.available", { max: yuan(max) }), bad: false };
    if (min !== null && min !== undefined) return { text: t("amount.minimum", { min: yuan(min) }), bad: false };
    return { text: "", bad: false };
  }
  const fen = parseYuan(typed);
  if (fen === null || fen <= 0) return { text: t("amount.not_amount"), bad: true };
  if (max !== null && max !== undefined && fen > max) return { text: t("amount.over", { max: yuan(max) }), bad: true };
  if (min !== null && min !== undefined && fen < min) return { text: t("amount.under", { min: yuan(min) }), bad: true };
  const left = max !== null && max !== undefined ? " · " + t("amount.left", { left: yuan(max - fen) }) : "";
  return { text: "= " + moneyRow(fen) + left, bad: false };
}

// watch `input`; values() gives the form's current values. -> {live (the line to show), update}
export function watchAmount(input, spec, values, makeLine) {
  const live = makeLine();
  input.setAttribute("inputmode", "decimal");
  const update = () => {
    const vals = values();
    const max = spec.max ? spec.max(vals) : null;
    const min = spec.min ? spec.min(vals) : null;
    const verdict = judgeAmount(input.value, min, max);
    live.textContent = verdict.text;
    live.classList.toggle("bad", verdict.bad);
    input.setAttribute("aria-invalid", verdict.bad ? "true" : "false");
    input.setCustomValidity(verdict.bad ? verdict.text : "");
  };
  input.addEventListener("input", update);
  return { live, update };
}
