// Every contract method, for every role: pick a query or a transaction, fill in its
// arguments (JSON), and run it as the signed-in member. Transactions go through the same
// signing dialog as everything else. Roles without a dedicated view (rating agency,
// registrar, intermediaries) do their work here.
import { t } from "../i18n.js";
import { clear, form, h, section, signAndSubmit } from "../ui.js";
import * as api from "../api.js";

export async function render(el, ctx) {
  const doc = await (await fetch("/console/api/read/contracts", { credentials: "same-origin" })).json();
  const methods = [];
  for (const c of doc.contracts || []) {
    for (const m of c.methods) if (m.kind === "tx" || m.kind === "query") methods.push({ contract: c.name, ...m });
  }
  const out = h("pre.result#call-result");
  const describe = h("p.note");
  const f = form([
    { name: "method", label: t("method"), type: "select", options: methods.map((m, i) => [String(i), `${m.contract}.${m.name} (${m.kind === "tx" ? t("transaction") : t("query")})`]) },
    { name: "args", label: t("args_json"), type: "textarea", value: "{}" },
  ], t("run"), async (v) => {
    const m = methods[Number(v.method)];
    let args;
    try {
      args = JSON.parse(v.args || "{}");
    } catch (e) {
      throw new Error(t("bad_json") + ": " + e.message);
    }
    if (m.kind === "query") {
      out.textContent = JSON.stringify(await api.query(m.contract, m.name, args), null, 2);
    } else {
      const r = await signAndSubmit(m.contract, m.name, args);
      out.textContent = r ? JSON.stringify(r, null, 2) : "";
    }
  }, { id: "call" });
  const fill = () => {
    const m = methods[Number(f.inputs.method.value)];
    if (!m) return;
    describe.textContent = m.doc || "";
    const template = {};
    for (const [name, spec] of Object.entries(m.args || {})) if (spec.required) template[name] = "";
    f.inputs.args.value = JSON.stringify(template, null, 1);
  };
  f.inputs.method.addEventListener("change", fill);
  fill();
  clear(el, h("h1", t("view.calls")), section(t("contract_call"), h("p.note", t("calls_note")), describe, f), section(t("result"), out));
}
