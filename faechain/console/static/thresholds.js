// The supervision rules' thresholds in words (issue 19: "thresholds in fen and basis points"):
// each rule's unit, and a threshold in force as a person reads it — "50.00%", "5,000,000.00 元",
// "183 天", "开启". The regulator's view, the signing summary and the what-will-happen sentence
// all show a threshold through here, so a rule's unit is written down once.
import { bps, yuan } from "./fmt.js";
import { t } from "./i18n.js";

// (the contract keeps integers: fen, basis points, days, a count, or 1/0 for a rule that is on/off)
export const UNITS = {
  invoice_reuse: "switch", voucher_overdue: "switch", disclosure_overdue: "switch", auction_failed: "switch",
  holders_near_limit: "count", holders_at_limit: "count", long_tenor: "days", payer_concentration: "percent",
  large_transfer: "yuan",
  invoice_voided: "switch", invoice_mismatch: "switch", unverified_invoice: "switch", registration_mismatch: "switch", short_payment: "switch",
};
// the receivables rules (faechain/modules/receivables/rules.py), in the same units; a `set_rule` proposal sets them
export const RECEIVABLES_UNITS = {
  max_tenor_days: "days", default_tenor_days: "days", unverified_invoice_cap: "yuan",
  registration_before_funding: "switch", max_rate_bps: "percent", max_fee_bps: "percent",
};

// a rule of `contract` in words: a receivables rule's 0 is a value like any other (a cap of 0.00 元:
// nothing), a supervision threshold's 0 switches its rule off
export function ruleText(contract, rule, value) {
  if (contract !== "receivables") return thresholdText(rule, value);
  const unit = RECEIVABLES_UNITS[rule];
  const v = Number(value);
  if (unit === "switch") return v ? t("reg.on") : t("reg.off");
  if (unit === "yuan") return yuan(value);
  if (unit === "percent") return bps(v);
  if (unit === "days") return t("reg.n_days", { n: v });
  return String(value);
}
export const MAX_FEN = BigInt(Number.MAX_SAFE_INTEGER); // what a JSON number carries exactly
export const MAX_WHOLE = { days: 36_500, count: 1_000_000 };

// a threshold in force, in words: "50.00%", "5,000,000.00 元", "183 天", "开启"
export function thresholdText(rule, value) {
  const unit = UNITS[rule];
  const v = Number(value);
  if (unit === "switch") return v ? t("reg.on") : t("reg.off");
  if (!v) return t("reg.off_note");
  if (unit === "yuan") return yuan(value);
  if (unit === "percent") return bps(v);
  if (unit === "days") return t("reg.n_days", { n: v });
  if (unit === "count") return t("reg.n_holders", { n: v });
  return String(value);
}
