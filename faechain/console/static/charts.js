// SVG charts drawn by hand (no chart library): voucher tree, bars, a price line, a usage gauge.
import { date, datetime, orgName, yuan, yuanNumber } from "./fmt.js";
import { lang, t, tv } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const STATUS_COLOURS = {
  ISSUED: "#e8a33d", ACTIVE: "#2f8f5b", FINANCING: "#c27c0e", FINANCED: "#2a6fb0", SPLIT: "#9aa4ae",
  TRANSFERRED: "#9aa4ae", PAID: "#6b5bb5", CANCELLED: "#b0b0b0", OVERDUE: "#c0392b",
};

// an axis label in the reader's scale: 万 and 亿 in Chinese, k, M and bn in English
function compactYuan(fen) {
  const y = Number(fen) / 100;
  const short = (v) => v.toFixed(2).replace(/\.?0+$/, "");
  if (lang() === "zh") {
    if (Math.abs(y) >= 1e8) return short(y / 1e8) + "亿";
    if (Math.abs(y) >= 1e4) return short(y / 1e4) + "万";
    return y.toFixed(0);
  }
  if (Math.abs(y) >= 1e9) return short(y / 1e9) + "bn";
  if (Math.abs(y) >= 1e6) return short(y / 1e6) + "M";
  if (Math.abs(y) >= 1e3) return short(y / 1e3) + "k";
  return y.toFixed(0);
}

// a name cut to `n` characters with an ellipsis, so a cut name is seen to be cut (the node's
// title and label carry it whole)
function clip(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

// pieces: voucher records (id, parent, children, holder, amount, status, tier); a tidy tree
// laid out leaves-first, each node centred over its children. onPick(id) on click.
export function voucherTree(pieces, opts = {}) {
  const byId = new Map(pieces.map((p) => [p.id, p]));
  const roots = pieces.filter((p) => !p.parent || !byId.has(p.parent));
  const W = 196, H = 58, GX = 16, GY = 34;
  const pos = new Map();
  let nextX = 0, maxDepth = 0;
  const place = (p, depth) => {
    maxDepth = Math.max(maxDepth, depth);
    const kids = (p.children || []).map((c) => byId.get(c)).filter(Boolean);
    if (!kids.length) {
      pos.set(p.id, { x: nextX, y: depth });
      nextX += 1;
    } else {
      kids.forEach((k) => place(k, depth + 1));
      const xs = kids.map((k) => pos.get(k.id).x);
      pos.set(p.id, { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: depth });
    }
  };
  roots.forEach((r) => place(r, 0));
  const width = Math.max(1, nextX) * (W + GX) + GX;
  const height = (maxDepth + 1) * (H + GY) + GY;
  const px = (p) => GX + pos.get(p.id).x * (W + GX);
  const py = (p) => GY / 2 + pos.get(p.id).y * (H + GY);
  const edges = [], nodes = [];
  for (const p of pieces) {
    if (!pos.has(p.id)) continue;
    for (const c of p.children || []) {
      const k = byId.get(c);
      if (!k || !pos.has(k.id)) continue;
      const x1 = px(p) + W / 2, y1 = py(p) + H, x2 = px(k) + W / 2, y2 = py(k);
      edges.push(svg("path", { d: `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`, class: "edge" }));
    }
    const live = !["SPLIT", "TRANSFERRED", "CANCELLED"].includes(p.status);
    const mine = opts.me && p.holder === opts.me;
    const g = svg("g", { class: "vnode" + (mine ? " mine" : "") + (live ? "" : " consumed"), transform: `translate(${px(p)},${py(p)})`, "data-id": p.id },
      svg("title", {}, `${p.id} · ${orgName(p.holder)} · ${yuan(p.amount)} · ${tv("status", p.status)}`),
      svg("rect", { width: W, height: H, rx: 6, fill: "#fff", stroke: STATUS_COLOURS[p.status] || "#888", "stroke-width": mine ? 3 : 1.5 }),
      svg("rect", { width: 6, height: H, rx: 3, fill: STATUS_COLOURS[p.status] || "#888" }),
      svg("text", { x: 12, y: 16, class: "vid" }, p.id + (p.frozen ? " ❄" : "")),
      svg("text", { x: 12, y: 32, class: "vholder" }, clip(orgName(p.holder), 28)),
      svg("text", { x: 12, y: 49, class: "vamount" }, yuanNumber(p.amount) + "  " + tv("status", p.status)));
    if (opts.onPick) {
      // a node opens its piece: a link for the keyboard and screen readers too, not only the mouse
      g.style.cursor = "pointer";
      g.setAttribute("role", "link");
      g.setAttribute("tabindex", "0");
      g.setAttribute("aria-label", `${p.id} · ${orgName(p.holder)} · ${yuan(p.amount)} · ${tv("status", p.status)}`);
      g.addEventListener("click", () => opts.onPick(p.id));
      g.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          opts.onPick(p.id);
        }
      });
    }
    nodes.push(g);
  }
  // a group of links when its nodes open pieces (an "img" may not hold focusable parts), else a picture
  return svg("svg", { class: "chart tree", width, height, viewBox: `0 0 ${width} ${height}`, role: opts.onPick ? "group" : "img",
    "aria-label": opts.title || t("voucher_tree") }, edges, nodes);
}

// items: [{label, value (fen), colour?}] -> vertical bars with amounts
export function bars(items, opts = {}) {
  const W = opts.width || 560, H = opts.height || 220, L = 56, B = 40, T = 14;
  const max = Math.max(1, ...items.map((i) => Number(i.value)));
  const bw = Math.max(8, Math.min(64, (W - L - 10) / Math.max(1, items.length) - 10));
  const ticks = [0, 0.5, 1].map((f) => f * max);
  return svg("svg", { class: "chart bars", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || null },
    opts.title ? svg("title", {}, opts.title) : null,
    ticks.map((v) => {
      const y = T + (H - B - T) * (1 - v / max);
      return [svg("line", { x1: L, x2: W - 4, y1: y, y2: y, class: "grid" }), svg("text", { x: L - 4, y: y + 4, class: "axis", "text-anchor": "end" }, compactYuan(v))];
    }),
    items.map((it, i) => {
      const x = L + 8 + i * (bw + 10);
      const hgt = (H - B - T) * (Number(it.value) / max);
      return svg("g", { class: "bar" },
        svg("title", {}, `${it.label}: ${yuan(it.value)}`),
        svg("rect", { x, y: H - B - hgt, width: bw, height: Math.max(0, hgt), fill: it.colour || "#2a6fb0", rx: 2 }),
        svg("text", { x: x + bw / 2, y: H - B + 14, class: "axis", "text-anchor": "middle" }, String(it.label).slice(0, 12)),
        svg("text", { x: x + bw / 2, y: H - B - hgt - 4, class: "val", "text-anchor": "middle" }, compactYuan(it.value)));
    }));
}

// a horizontal gauge: used of limit (credit-line use), with labels
export function gauge(used, limit, labels) {
  const W = 560, H = 64;
  const frac = limit > 0 ? Math.min(1, Number(used) / Number(limit)) : 1;
  const colour = frac > 0.9 ? "#c0392b" : frac > 0.7 ? "#e8a33d" : "#2f8f5b";
  return svg("svg", { class: "chart gauge", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `${labels.used}: ${yuan(used)} / ${labels.limit}: ${yuan(limit)}` },
    svg("rect", { x: 0, y: 8, width: W, height: 22, rx: 4, fill: "#e6eaee" }),
    svg("rect", { x: 0, y: 8, width: W * frac, height: 22, rx: 4, fill: colour, class: "used" }),
    svg("text", { x: 6, y: 24, class: "gauge-label" }, `${(frac * 100).toFixed(1)}%`),
    svg("text", { x: 0, y: 50, class: "axis" }, `${labels.used}: ${yuan(used)}`),
    svg("text", { x: W, y: 50, class: "axis", "text-anchor": "end" }, `${labels.limit}: ${yuan(limit)}`));
}

// points: [{t (unix s), price (fen)}] -> a step line of the price over time, reserve dashed
export function priceLine(points, opts = {}) {
  const W = opts.width || 560, H = opts.height || 220, L = 64, B = 34, T = 12, R = 10;
  if (!points.length) return svg("svg", { class: "chart line", width: W, height: 40 }, svg("text", { x: 4, y: 24, class: "axis" }, opts.empty || "—"));
  const ts = points.map((p) => p.t), ps = points.map((p) => Number(p.price));
  if (opts.reserve) ps.push(Number(opts.reserve));
  let t0 = Math.min(...ts), t1 = Math.max(...ts, opts.end || 0);
  if (t1 <= t0) t1 = t0 + 60;
  let p0 = Math.min(...ps), p1 = Math.max(...ps);
  const pad = Math.max(1, (p1 - p0) * 0.15);
  p0 -= pad;
  p1 += pad;
  const x = (tt) => L + (W - L - R) * ((tt - t0) / (t1 - t0));
  const y = (p) => T + (H - B - T) * (1 - (p - p0) / (p1 - p0));
  let d = "";
  points.forEach((p, i) => {
    d += i ? ` H${x(p.t)} V${y(p.price)}` : `M${x(p.t)},${y(p.price)}`;
  });
  d += ` H${x(t1)}`;
  return svg("svg", { class: "chart line", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" },
    [p0 + pad, p1 - pad].map((v) => [svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }), svg("text", { x: L - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" }, compactYuan(v))]),
    opts.reserve ? svg("line", { x1: L, x2: W - R, y1: y(opts.reserve), y2: y(opts.reserve), class: "reserve" }) : null,
    svg("path", { d, class: "price" }),
    points.map((p) => svg("circle", { cx: x(p.t), cy: y(p.price), r: 3.5, class: "pt" }, svg("title", {}, `${datetime(p.t)} ${yuan(p.price)}`))),
    svg("text", { x: L, y: H - 8, class: "axis" }, datetime(t0).slice(5)),
    svg("text", { x: W - R, y: H - 8, class: "axis", "text-anchor": "end" }, datetime(t1).slice(5)));
}

export function dayLabel(t) {
  return date(t);
}

// a count axis's top: 1, 2, 5, 10, 20, 50, ... at or above max
function niceCeil(max) {
  let step = 1;
  while (step * 10 <= max) step *= 10;
  for (const f of [1, 2, 5, 10]) if (f * step >= max) return f * step;
  return 10 * step;
}

// columns: [{label, title, values: {seriesKey: count}}]; series: [{key, label, colour}] -> stacked
// vertical bars of counts (alerts per day by severity), a legend above, every few labels below
export function stackedCounts(columns, series, opts = {}) {
  const W = opts.width || 640, H = opts.height || 220, L = 34, B = 30, T = 26, R = 8;
  const totals = columns.map((c) => series.reduce((s, se) => s + (c.values[se.key] || 0), 0));
  const top = niceCeil(Math.max(1, ...totals));
  const slot = (W - L - R) / Math.max(1, columns.length);
  const bw = Math.max(3, Math.min(28, slot - 3));
  const y = (v) => T + (H - B - T) * (1 - v / top);
  const every = Math.max(1, Math.ceil(columns.length / 8)); // labels counted back from the last (today)
  return svg("svg", { class: "chart stacked", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || null, "data-total": totals.reduce((a, b) => a + b, 0) },
    opts.title ? svg("title", {}, opts.title) : null,
    [0, top / 2, top].flatMap((v) => [svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }), svg("text", { x: L - 4, y: y(v) + 4, class: "axis", "text-anchor": "end" }, String(Math.round(v * 10) / 10))]),
    series.map((se, i) => svg("g", { class: "legend" },
      svg("rect", { x: L + i * 110, y: 4, width: 10, height: 10, fill: se.colour, rx: 2 }),
      svg("text", { x: L + i * 110 + 14, y: 13 }, se.label))),
    columns.map((c, i) => {
      const x = L + i * slot + (slot - bw) / 2;
      let base = 0;
      const parts = series.map((se) => {
        const n = c.values[se.key] || 0;
        if (!n) return null;
        const r = svg("rect", { x, y: y(base + n), width: bw, height: y(base) - y(base + n), fill: se.colour, "data-series": se.key, "data-count": n });
        base += n;
        return r;
      });
      return svg("g", { class: "col", "data-label": c.label, "data-count": totals[i] },
        svg("title", {}, c.title || `${c.label}: ${totals[i]}`), parts,
        (columns.length - 1 - i) % every === 0 ? svg("text", { x: x + bw / 2, y: H - B + 14, class: "axis", "text-anchor": "middle" }, c.label) : null);
    }));
}

// items: [{label, value (a count), colour?}] -> horizontal bars of counts, the label on the left
export function countBars(items, opts = {}) {
  const W = opts.width || 480, row = 22, L = opts.labelWidth || 170, R = 36;
  const H = Math.max(1, items.length) * row + 8;
  const max = Math.max(1, ...items.map((i) => i.value));
  return svg("svg", { class: "chart countbars", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || null },
    opts.title ? svg("title", {}, opts.title) : null,
    items.map((it, i) => {
      const w = (W - L - R) * (it.value / max);
      return svg("g", { class: "bar", "data-label": it.key || it.label, "data-count": it.value },
        svg("title", {}, `${it.label}: ${it.value}`),
        svg("text", { x: L - 6, y: 4 + i * row + 15, class: "axis", "text-anchor": "end" }, String(it.label).slice(0, 24)),
        svg("rect", { x: L, y: 4 + i * row + 3, width: Math.max(it.value ? 2 : 0, w), height: row - 8, fill: it.colour || "#2a6fb0", rx: 2 }),
        svg("text", { x: L + w + 4, y: 4 + i * row + 15, class: "val" }, String(it.value)));
    }));
}
