// The console's shell: session, navigation by role, language switch, live head height, routing,
// and the genesis pinned in this browser (trust.js: every in-browser check starts from it).
//
// Routes (location.hash):
//   #/                      the member's first view (or sign-in)
//   #/signin                sign in as a wallet identity
//   #/v/<view>/<params...>  a role or module view (views/registry.js)
//   #/explorer/...          the block explorer (views/explorer.js)
import * as api from "./api.js";
import { setChainTime, setOrgs } from "./fmt.js";
import { lang, setLang, t, tv } from "./i18n.js";
import { button, clear, dialog, errorBox, form, h, loading, setSuite, toast } from "./ui.js";
import { showGenesis } from "./trust.js";
import { VIEWS, viewsFor } from "./views/registry.js";

const state = { session: null, cleanups: [], blockListeners: new Set(), closeBlocks: null };

export function onBlock(fn) {
  state.blockListeners.add(fn);
  return () => state.blockListeners.delete(fn);
}

function startBlocks() {
  if (state.closeBlocks) state.closeBlocks();
  state.closeBlocks = null;
  const s = state.session;
  if (!s || (!s.signed_in && !s.anonymous_reads)) return;
  state.closeBlocks = api.listen({ blocks: "true", contract: "-none-" }, (kind, data) => {
    if (kind !== "block") return;
    document.getElementById("height").textContent = t("height") + " " + data.height;
    for (const fn of state.blockListeners) {
      try {
        fn(data);
      } catch (e) {
        console.error(e);
      }
    }
  });
}

async function loadSession() {
  state.session = await api.session();
  setSuite(state.session.chain.suite);
  try {
    setChainTime((await api.info()).time);
  } catch (e) {
    console.warn("clock", e);
  }
  document.getElementById("height").textContent = t("height") + " " + state.session.chain.height;
  if (state.session.signed_in || state.session.anonymous_reads) {
    try {
      setOrgs(await api.query("membership", "orgs"));
    } catch (e) {
      console.warn("organisations", e);
    }
  }
  startBlocks();
  if (state.session.signed_in || state.session.anonymous_reads) {
    // the genesis every in-browser check starts from: pinned here on first use, refused if it changes
    showGenesis(document.getElementById("genesis"), document.getElementById("banner"), toast);
  }
}

function renderChrome() {
  const s = state.session;
  const switcher = document.getElementById("lang");
  switcher.textContent = lang() === "zh" ? "EN" : "中文";
  switcher.setAttribute("lang", lang() === "zh" ? "en" : "zh-CN"); // read out in its own language
  const nav = document.getElementById("nav");
  const views = s && s.signed_in ? viewsFor(s.member.role, s.features) : [];
  const cur = location.hash;
  clear(nav,
    views.map((v) => h("a", { href: `#/v/${v.id}`, class: cur.startsWith(`#/v/${v.id}`) ? "active" : null, id: `nav-${v.id}` }, t(v.title))),
    h("a", { href: "#/explorer", class: cur.startsWith("#/explorer") ? "active" : null, id: "nav-explorer" }, t("view.explorer")));
  const who = document.getElementById("who");
  if (s && s.signed_in) {
    clear(who,
      h("span.member#member", { title: s.member.org_id }, s.member.name, " · ", tv("role", s.member.role)),
      button(t("sign_out"), async () => {
        await api.signOut();
        await loadSession();
        location.hash = "#/signin";
      }, "link", { id: "sign-out" }));
  } else {
    clear(who, h("a#sign-in-link", { href: "#/signin" }, t("sign_in")));
  }
}

function signInPage(main) {
  const s = state.session;
  const box = h("div.signin");
  clear(main, h("section.card", h("h1", t("sign_in_title")), h("p.note", t("sign_in_note")), box));
  if (!s.sign_in_allowed) {
    box.append(h("p.error#signin-refused", t("sign_in_needs_passphrase")));
    return;
  }
  const pass = s.passphrase_required ? h("input#signin-passphrase", { type: "password", placeholder: t("passphrase"), autocomplete: "current-password" }) : null;
  const go = async (name) => {
    await api.signIn(name, pass ? pass.value : undefined);
    await loadSession();
    const views = viewsFor(state.session.member.role, state.session.features);
    location.hash = views.length ? `#/v/${views[0].id}` : "#/explorer";
    toast(t("signed_in_as", { name }));
  };
  if (pass) box.append(h("label.passphrase", h("span", t("passphrase")), pass));
  if (s.identities && s.identities.length) {
    box.append(h("p", s.dev && !s.passphrase_required ? t("one_click") : t("choose_identity")));
    const grid = h("div.ids");
    for (const ident of s.identities) {
      grid.append(button([h("strong", ident.name), h("small", tv("role", ident.role)), h("small.orgname", ident.org_name)], () => go(ident.name), "id-card", { id: `signin-${ident.name}` }));
    }
    box.append(grid);
  } else {
    box.append(form([{ name: "name", label: t("identity_name") }], t("sign_in"), (v) => go(v.name), { id: "signin" }));
  }
}

let routeSeq = 0;

async function route() {
  // one route at a time: a newer navigation makes an unfinished older one drop its page
  const seq = ++routeSeq;
  for (const fn of state.cleanups.splice(0)) {
    try {
      fn();
    } catch (e) {
      console.error(e);
    }
  }
  const mine = [];
  const cleanup = () => {
    for (const fn of mine.splice(0)) {
      try {
        fn();
      } catch (e) {
        console.error(e);
      }
    }
  };
  state.cleanups.push(cleanup);
  document.getElementById("modal-root").replaceChildren();
  renderChrome();
  const main = document.getElementById("main");
  // "#/v/<view>/<params>?focus=<id>": the home page's to-do links name the row to bring into view
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const s = state.session;
  const ctx = {
    session: s,
    member: s.member,
    me: s.member ? s.member.org_id : null,
    params: parts.slice(2),
    onLeave: (fn) => mine.push(fn),
    onBlock: (fn) => mine.push(onBlock(fn)),
    listen: (params, fn) => mine.push(api.listen(params, fn)),
    rerender: () => route(),
  };
  const show = async (load, params) => {
    const mod = await load();
    const view = h("div.view", loading());
    if (seq === routeSeq) clear(main, view);
    if (params) ctx.params = params;
    await mod.render(view, ctx);
    if (seq !== routeSeq) cleanup(); // superseded while loading: stop its live updates
  };
  try {
    if (parts[0] === "signin" || (!s.signed_in && parts[0] !== "explorer")) {
      if (!s.signed_in || parts[0] === "signin") return signInPage(main);
    }
    if (parts[0] === "explorer") {
      if (!s.signed_in && !s.anonymous_reads) return signInPage(main);
      return await show(() => import("./views/explorer.js"), parts.slice(1));
    }
    const views = viewsFor(s.member.role, s.features);
    const id = parts[0] === "v" ? parts[1] : views.length ? views[0].id : null;
    const view = VIEWS.find((v) => v.id === id);
    if (!view) {
      location.hash = "#/explorer";
      return;
    }
    if (!views.includes(view)) {
      clear(main, h("p.error", t("not_for_role")));
      return;
    }
    await show(view.load);
    const focus = new URLSearchParams(search || "").get("focus");
    if (focus && seq === routeSeq) focusOn(main, focus);
  } catch (e) {
    if (seq !== routeSeq) return;
    clear(main, errorBox(e));
    if (e && e.code === "unauthenticated") {
      await loadSession();
      renderChrome();
    }
  }
}

// bring the element naming `id` (an action's id ending in it, a cell or link showing it) into view
// and mark it, once the view has drawn it (its tables may come a moment after the page)
function focusOn(main, id) {
  const find = () => [...main.querySelectorAll("[id], [title], a, code, td")].find((e) =>
    e.id === id || e.id.endsWith("-" + id) || e.getAttribute("title") === id || e.textContent.trim() === id);
  const mark = (el) => {
    const row = el.closest("tr") || el;
    row.classList.add("focused");
    row.scrollIntoView({ block: "center" });
  };
  const el = find();
  if (el) return mark(el);
  const watch = new MutationObserver(() => {
    const found = find();
    if (found) {
      watch.disconnect();
      mark(found);
    }
  });
  watch.observe(main, { childList: true, subtree: true });
  setTimeout(() => watch.disconnect(), 10_000);
}

async function start() {
  document.getElementById("lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    route();
  });
  window.addEventListener("hashchange", route);
  try {
    await loadSession();
  } catch (e) {
    clear(document.getElementById("main"), errorBox(e));
    return;
  }
  await route();
}

window.faeConsole = { dialog, t };
start();
