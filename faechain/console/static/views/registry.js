// The table of console views. Adding a module's view: write views/<name>.js exporting
// `render(el, ctx)` and add one row here (roles that see it; an optional feature flag from
// /console/api/session that must be on, e.g. a contract that may not be deployed).
//
// ctx: {session, member, me (org id), params (route segments after the view id),
//       onLeave(fn), onBlock(fn), listen(params, fn) (live events, closed on leaving), rerender()}
const ALL = ["EXCHANGE", "REGULATOR", "CORE_ENTERPRISE", "SUPPLIER", "FACTOR", "BANK", "AMC", "INVESTOR",
  "RATING_AGENCY", "REGISTRAR", "INTERMEDIARY"];
const BIDDERS = ["AMC", "INVESTOR", "FACTOR", "BANK", "INTERMEDIARY", "CORE_ENTERPRISE"];

export const VIEWS = [
  // first: the page after sign-in (app.js opens a member's first view), what waits for the member
  { id: "home", title: "view.home", roles: ALL, load: () => import("./home.js") },
  { id: "supplier", title: "view.supplier", roles: ["SUPPLIER"], load: () => import("./supplier.js") },
  { id: "core", title: "view.core", roles: ["CORE_ENTERPRISE"], load: () => import("./core.js") },
  { id: "funder", title: "view.funder", roles: ["FACTOR", "BANK"], load: () => import("./funder.js") },
  { id: "investor", title: "view.investor", roles: ["INVESTOR"], load: () => import("./investor.js") },
  { id: "exchange", title: "view.exchange", roles: ["EXCHANGE"], load: () => import("./exchange.js") },
  { id: "regulator", title: "view.regulator", roles: ["REGULATOR"], load: () => import("./regulator.js") },
  { id: "registrar", title: "view.registrar", roles: ["REGISTRAR"], load: () => import("./registrar.js") },
  { id: "rating", title: "view.rating", roles: ["RATING_AGENCY"], load: () => import("./rating.js") },
  { id: "intermediary", title: "view.intermediary", roles: ["INTERMEDIARY"], load: () => import("./intermediary.js") },
  { id: "auctions", title: "view.auctions", roles: [...BIDDERS, "EXCHANGE", "REGULATOR"], load: () => import("./auctions.js") },
  // after the auction: the seller (a bank or an AMC, also bidders), the winning bidder, the exchange
  { id: "deals", title: "view.deals", roles: [...BIDDERS, "EXCHANGE"], load: () => import("./deals.js") },
  { id: "governance", title: "view.governance", roles: ALL, feature: "governance", load: () => import("./governance.js") },
  { id: "calls", title: "view.calls", roles: ALL, load: () => import("./calls.js") },
];

export function viewsFor(role, features = {}) {
  return VIEWS.filter((v) => v.roles.includes(role) && (!v.feature || features[v.feature]));
}
