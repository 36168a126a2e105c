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
};
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
