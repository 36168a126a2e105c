// Home: the first page after sign-in, for every role. What waits for this member — each item a
// count (and an amount in 元 where there is one) linking to the view and row where it is done —,
// then what waits on others, then the member's main figures at a glance with a chart.
// views/todos.js computes the items from the queries the member may run; this page draws them,
// and draws them again when a block commits (a transaction, or a minute of chain time: a
// deadline may have passed).
import { bars, gauge, svg } from "../charts.js";
import { orgName, yuan } from "../fmt.js";
import { t, tv } from "../i18n.js";
import { clear, errorBox, h, section } from "../ui.js";
import { accountsSection } from "./payleg.js";
import { deskOf } from "./todos.js";

export async function render(el, ctx) {
  const body = h("div.home");
  // the receiving accounts sit outside what redraws on each block (a number being typed stays)
  clear(el, h("h1", t("view.home"), " · ", orgName(ctx.me)), body, accountsSection(ctx));
  let busy = false, again = false, drawnAt = 0;
  const draw = async () => {
    if (busy) {
      again = true; // a block came while drawing: draw once more after
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        clear(body, page(await deskOf(ctx)));
      } while (again);
    } catch (e) {
      clear(body, errorBox(e));
    } finally {
      busy = false;
    }
  };
  await draw();
  ctx.onBlock((block) => {
    const ms = Number(block.time) > 1e11 ? Number(block.time) : Number(block.time) * 1000;
    if (block.txs > 0 || ms - drawnAt >= 60_000) {
      drawnAt = ms;
      draw();
    }
  });
}

function page(desk) {
  const mine = desk.items.filter((i) => i.tone !== "wait");
  const waiting = desk.items.filter((i) => i.tone === "wait");
  const order = (a, b) => (b.count > 0) - (a.count > 0); // what waits first, the rest after (stable)
  const total = mine.reduce((s, i) => s + i.count, 0);
  return [
    section(t("home.todo"),
      h("p#todo-total", total ? t("home.total", { n: total }) : t("home.nothing")),
      desk.note ? h("p.note", t(desk.note)) : null,
      h("div.todos#todos", [...mine].sort(order).map(todo))),
    waiting.length ? section(t("home.waiting"), h("p.note", t("home.waiting_note")), h("div.todos#waiting", [...waiting].sort(order).map(todo))) : null,
    section(t("home.figures"), h("div.kpis#kpis", (desk.kpis || []).map(kpi)), desk.chart ? chart(desk.chart) : null),
  ];
}

function todo(i) {
  return h(`a.todo.${i.tone}${i.count ? "" : ".zero"}#todo-${i.key}`, { href: i.href, "data-count": i.count },
    h(`span.todo-count#todo-${i.key}-count`, String(i.count)),
    h("span.todo-text", h("strong", t("todo." + i.key)),
      i.amount ? h("small.amount", yuan(i.amount)) : null,
      h("small", t("todo." + i.key + ".how"))));
}

function kpi([key, value, unit]) {
  const shown = value === null || value === undefined ? "—" : unit === "fen" ? yuan(value) : String(value);
  return h("div.kpi", { id: key.replace(".", "-") }, h("small", t(key)), h("strong", shown));
}

function chart(c) {
  if (c.kind === "gauge") return h("div", h("h3", t("chart.credit_use")), gauge(c.used, c.limit, { used: t("open_vouchers"), limit: t("credit_limit") }));
  const items = c.items.filter((x) => Number(x.value) > 0);
  const label = (x) => (x.status ? tv("status", x.label) : x.rule ? tv("rule", x.label) : x.label);
  const drawn = !items.length ? h("p.empty", t("none"))
    : c.kind === "counts" ? counts(items.map((x) => ({ ...x, label: label(x) })))
      : bars(items.map((x) => ({ ...x, label: label(x) })), { title: t(c.title) });
  return h("div", h("h3", t(c.title)), drawn);
}

// horizontal bars of whole numbers (alerts by rule): the amounts chart would print them as 元
function counts(items) {
  const W = 560, row = 26, L = 200;
  const max = Math.max(1, ...items.map((x) => x.value));
  return svg("svg", { class: "chart counts", width: W, height: items.length * row + 8, viewBox: `0 0 ${W} ${items.length * row + 8}`, role: "img",
    "aria-label": items.map((x) => `${x.label}: ${x.value}`).join("; ") },
    items.map((x, i) => svg("g", {},
      svg("text", { x: L - 6, y: i * row + 18, class: "axis", "text-anchor": "end" }, String(x.label).slice(0, 24)),
      svg("rect", { x: L, y: i * row + 6, width: Math.max(2, (W - L - 40) * (x.value / max)), height: 16, rx: 2, fill: "#c0392b" }),
      svg("text", { x: L + Math.max(2, (W - L - 40) * (x.value / max)) + 6, y: i * row + 18, class: "val" }, String(x.value)))));
}
