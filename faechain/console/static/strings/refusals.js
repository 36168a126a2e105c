// Console labels of refusals: key -> [中文, English] (merged into i18n.js's table). The refusals
// themselves (templates, words, codes' sentences) are data: core/refusals_zh.json, via refusals.js.
export const STRINGS = {
  "refusal.code": ["错误代码", "Error code"],
};
