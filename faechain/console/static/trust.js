// What the console's in-browser checks rest on, and how it is shown.
//
// Every view that says "verified" takes its app hash from here: trustedHeader(height) is the
// light client's header for that block (light.js), built once per page from the genesis
// pinned in this browser (genesis.js) and the node's relay of signed headers. Never from the
// node's own rendering of the block. The helpers below say, in the member's language, what a
// check rests on ("signed by 4 of 4 validators, CometBFT header 58" / "signed by the block
// signer declared in genesis", the block's time, the pinned genesis) and what failed.
//
// Also here: freshness (freshHeader: a verified answer more than MAX_LAG_BLOCKS behind the newest
// signed header the light client knows is refused as stale, in the SDK's words), and the member's
// trust settings (the genesis pin, the header kept from an earlier visit, an optional witness node).
import * as api from "./api.js";
import { percent } from "./cometbft.js";
import { datetime, short } from "./fmt.js";
import { forgetGenesis, pinGenesis } from "./genesis.js";
import { t } from "./i18n.js";
import { LightClient, LightError, witnessAt } from "./light.js";
import { button, dialog, h } from "./ui.js";

const WAIT_TRIES = 15; // on CometBFT, the head block's app hash is signed only by the next header
const WAIT_MS = 1000;
export const MAX_LAG_BLOCKS = 5; // as the SDK's Client(max_lag_blocks=5)
export const WITNESS_KEY = "fae.witness";

// the witness node set in this browser (a console setting), or null
export function witnessUrl() {
  try {
    const url = localStorage.getItem(WITNESS_KEY);
    return url && /^https?:\/\/[^\s]+$/.test(url) ? url : null;
  } catch {
    return null;
  }
}

let anchor = null;
let toldFirstUse = false;

// {genesis: {doc, hash, chainId, suite, pin, firstUse}, client: LightClient}; a refused genesis
// stays refused for the page's life, a network failure is tried again next time
export function trustAnchor() {
  if (anchor === null) {
    anchor = (async () => {
      const genesis = await pinGenesis(await api.genesis());
      const witness = witnessUrl();
      const client = new LightClient(genesis.doc, (height) => api.light(height), {
        genesisHash: genesis.hash, storage: localStorage, head: async () => (await api.info()).height,
        witness: witness ? witnessAt(witness) : null, primaryUrl: location.origin,
      });
      return { genesis, client };
    })();
    anchor.catch((e) => {
      if (!(e instanceof LightError)) anchor = null;
    });
  }
  return anchor;
}

// block `height`'s header, trusted by signatures; onWait(try) is called while the signed header
// is not made yet (bounded: WAIT_TRIES, then the "unavailable" error stands)
export async function trustedHeader(height, onWait = () => {}) {
  const { client } = await trustAnchor();
  for (let i = 1; ; i++) {
    try {
      return await client.trusted(height);
    } catch (e) {
      if (!(e instanceof LightError && e.code === "unavailable") || i >= WAIT_TRIES) throw e;
      onWait(i);
      await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    }
  }
}

// block `height`'s header, as trustedHeader, for an answer that claims to be the latest: refused
// ("stale") when it is more than MAX_LAG_BLOCKS blocks behind the newest signed header known
export async function freshHeader(height, onWait = () => {}) {
  const header = await trustedHeader(height, onWait);
  const { client } = await trustAnchor();
  const latest = await client.latestHeight();
  const lag = latest - height;
  if (lag > MAX_LAG_BLOCKS) {
    throw new LightError(`the answer is at height ${height}, ${lag} blocks behind the latest signed header (${latest}); the limit is ${MAX_LAG_BLOCKS}`, "stale");
  }
  return header;
}

// what a trusted header rests on, in words
export function basisText(header) {
  if (header.engine === "solo") return t("basis_solo", { key: header.signer.slice(0, 16) });
  const x = header.tally;
  return t("basis_cometbft", { n: x.signed, of: x.validators, pct: percent(x.power, x.totalPower), c: header.cometHeight });
}

// the line under a verified result: signatures, block time, pinned genesis
export function basisLine(header, genesis) {
  return h("p.basis#trust-basis", { title: header.basis },
    t("rests_on"), h("span#trust-signed", basisText(header)), " · ", t("block_time"), " ", datetime(header.timeMs),
    genesis ? [" · ", h("span#trust-genesis", { title: genesis.hash }, t("genesis_pinned", { hash: short(genesis.hash, 16) }))] : null,
    " · ", h("span#trust-from", header.from && header.from.kind === "anchor" ? t("from_anchor", { h: header.from.height }) : t("from_genesis")),
    header.witness ? [" · ", h(`span#trust-witness.${header.witness.agrees ? "ok" : "note"}`, header.witness.agrees
      ? t("witness_agrees", { url: header.witness.url, h: header.witness.height }) : t("witness_unused", { note: header.witness.note }))] : null);
}

// a check that could not rest on a trusted header: what failed, in the light client's words
// (anything else, e.g. the node unreachable, is shown too: nothing is verified either way)
export function trustFailure(e, id = "trust-bad") {
  const code = e instanceof LightError ? e.code : "error";
  const heading = { bad_header: "trust_failed_header", genesis: "trust_failed_genesis", unavailable: "trust_failed_unavailable",
    untrusted: "trust_failed_untrusted", stale: "trust_failed_stale", diverged: "trust_failed_diverged" }[code] || "trust_failed_error";
  return h(`div.bad.trust-failure#${id}`, h("strong", "✗ " + t(heading)), h("p.failure#trust-failure", (e && (e.msg || e.message)) || String(e)),
    code === "diverged" && e.evidence ? attackEvidence(e.evidence) : null);
}

// an attack: both headers, who served which, and a file holding both
function attackEvidence(ev) {
  const row = (id, role, side) => h(`tr#${id}`, h("td", t(role)), h("td", h("code", side.url)), h("td", ev.height), h("td", h("code.hash", side.hash)));
  const file = { about: "two signed headers at one height, each backed by the signatures this browser trusts (faechain console)", height: ev.height, primary: ev.primary, witness: ev.witness };
  return [h("table.attack", h("thead", h("tr", [t("served_by"), "URL", t("height"), t("hash")].map((x) => h("th", x)))),
    h("tbody", row("attack-primary", "this_node", ev.primary), row("attack-witness", "witness", ev.witness))),
  h("div.actions", button(t("download_attack"), () => saveJson(file, `attack-${ev.height}.json`), "small", { id: "download-attack" }))];
}

// a JSON document offered as a file download (made here, in the browser)
export function saveJson(doc, filename) {
  const blob = new Blob([JSON.stringify(doc, null, 1) + "\n"], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, style: "display:none" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// chains whose hash and signatures browsers cannot compute (SM3, SM2): say so plainly
export function noBrowserCheck() {
  return h("div.bad#no-browser-check", t("needs_sha256"));
}

// the genesis this browser checks against, for the top bar; a refused one as a banner
export async function showGenesis(slot, banner, toast) {
  try {
    const { genesis } = await trustAnchor();
    slot.replaceChildren(h("span.genesis#genesis-pin", { title: t("genesis_title", { hash: genesis.hash }) }, t("genesis_short", { hash: genesis.hash.slice(0, 8) })),
      " ", button("⚙", () => trustSettings(genesis), "small", { id: "trust-settings", title: t("trust_settings") }));
    if (genesis.firstUse && !toldFirstUse) toast(t("genesis_first_use", { hash: genesis.hash }));
    toldFirstUse = true;
  } catch (e) {
    if (!(e instanceof LightError)) {
      console.warn("genesis", e);
      return;
    }
    slot.replaceChildren(h("span.bad#genesis-pin", "✗ " + t("genesis_refused_short")));
    banner.replaceChildren(h("div.banner.bad#genesis-refused", h("strong", t("trust_failed_genesis")), " ", e.message, " ",
      button(t("forget_genesis"), async () => {
        const ok = await dialog(t("forget_genesis"), h("p", t("forget_genesis_note")),
          [[t("cancel"), false, "", "forget-cancel"], [t("forget_genesis"), true, "primary", "forget-confirm"]]);
        if (ok) {
          forgetGenesis();
          location.reload();
        }
      }, "small", { id: "forget-genesis" })));
  }
}

// The member's trust settings: the pinned genesis, the header kept from an earlier visit, and a
// witness node (saved in this browser; the page reloads so that every check uses them)
async function trustSettings(genesis) {
  const { client } = await trustAnchor();
  await client.start();
  const input = h("input#witness-url", { type: "url", placeholder: "http://node-b.example:8080", value: witnessUrl() || "" });
  const kept = client.newest === null ? t("anchor_none") : t("anchor_kept", { h: client.from.kind === "anchor" ? client.from.height : client.newest.height });
  const body = h("div.trust-settings",
    h("p", t("genesis_pinned", { hash: genesis.hash })),
    h("p#anchor-kept", kept, client.discarded ? [" · ", h("span.note#anchor-discarded", client.discarded)] : null),
    h("label", h("span", t("witness_url")), input),
    h("p.note", t("witness_note")));
  const ok = await dialog(t("trust_settings"), body, [[t("cancel"), false, "", "trust-cancel"], [t("save"), true, "primary", "trust-save"]]);
  if (!ok) return;
  const url = input.value.trim().replace(/\/+$/, "");
  if (url) localStorage.setItem(WITNESS_KEY, url);
  else localStorage.removeItem(WITNESS_KEY);
  location.reload();
}
