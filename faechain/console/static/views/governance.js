// Governance proposals and votes (the `governance` contract; the view is listed only when the
// node runs that contract). Creating a proposal takes kind-specific parameters: use the
// "contract calls" view (governance.propose) for that.
import * as api from "../api.js";
import { datetime } from "../fmt.js";
import { t } from "../i18n.js";
import { badge, button, clear, h, org, section, signAndSubmit, table } from "../ui.js";

export async function render(el, ctx) {
  const refresh = () => ctx.rerender();
  const sign = async (method, args) => {
    const r = await signAndSubmit("governance", method, args, t("view.governance"));
    if (r && r.code === "ok") refresh();
  };
  const rows = [];
  for (const status of ["OPEN", "EXECUTED", "REJECTED", "EXPIRED", "FAILED"]) {
    rows.push(...(await api.query("governance", "proposals", { status }).catch(() => [])));
  }
  clear(el,
    h("h1", t("view.governance")),
    section(t("proposals"), table([
      [t("id"), (p) => h("code", p.id)], [t("kind"), (p) => p.kind], [t("summary"), (p) => p.summary || ""],
      [t("proposer"), (p) => org(p.proposer)], [t("votes"), (p) => `${p.yes ?? 0} / ${p.need ?? "?"} (${t("no_votes")} ${p.no ?? 0})`],
      [t("expires"), (p) => datetime(p.expires)], [t("status"), (p) => badge(p.status)],
      [t("actions"), (p) => p.status === "OPEN" && (p.electorate || []).includes(ctx.me) && !(p.votes && p.votes[ctx.me] !== undefined) ? [
        button(t("vote_yes"), () => sign("vote", { proposal: p.id, approve: true }), "small primary"),
        button(t("vote_no"), () => sign("vote", { proposal: p.id, approve: false }), "small"),
      ] : null],
    ], rows, { empty: t("no_proposals") })),
    h("p.note", t("propose_note")));
}
