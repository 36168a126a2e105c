// What the console's in-browser checks rest on, and how it is shown.
//
// Every view that says "verified" takes its app hash from here: trustedHeader(height) is the
// light client's header for that block (light.js), built once per page from the genesis
// pinned in this browser (genesis.js) and the node's relay of signed headers. Never from the
// node's own rendering of the block. The helpers below say, in the member's language, what a
// check rests on ("signed by 4 of 4 validators, CometBFT header 58" / "signed by the block
// signer declared in genesis", the block's time, the pinned genesis) and what failed.
import * as api from "./api.js";
import { percent } from "./cometbft.js";
import { datetime, short } from "./fmt.js";
import { forgetGenesis, pinGenesis } from "./genesis.js";
import { t } from "./i18n.js";
import { LightClient, LightError } from "./light.js";
import { button, dialog, h } from "./ui.js";

const WAIT_TRIES = 15; // on CometBFT, the head block's app hash is signed only by the next header
const WAIT_MS = 1000;

let anchor = null;
let toldFirstUse = false;

// {genesis: {doc, hash, chainId, suite, pin, firstUse}, client: LightClient}; a refused genesis
// stays refused for the page's life, a network failure is tried again next time
export function trustAnchor() {
  if (anchor === null) {
    anchor = (async () => {
      const genesis = await pinGenesis(await api.genesis());
      return { genesis, client: new LightClient(genesis.doc, (height) => api.light(height)) };
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
    genesis ? [" · ", h("span#trust-genesis", { title: genesis.hash }, t("genesis_pinned", { hash: short(genesis.hash, 16) }))] : null);
}

// a check that could not rest on a trusted header: what failed, in the light client's words
// (anything else, e.g. the node unreachable, is shown too: nothing is verified either way)
export function trustFailure(e, id = "trust-bad") {
  const code = e instanceof LightError ? e.code : "error";
  const heading = { bad_header: "trust_failed_header", genesis: "trust_failed_genesis", unavailable: "trust_failed_unavailable",
    untrusted: "trust_failed_untrusted" }[code] || "trust_failed_error";
  return h(`div.bad.trust-failure#${id}`, h("strong", "✗ " + t(heading)), h("p.failure#trust-failure", (e && (e.msg || e.message)) || String(e)));
}

// chains whose hash and signatures browsers cannot compute (SM3, SM2): say so plainly
export function noBrowserCheck() {
  return h("div.bad#no-browser-check", t("needs_sha256"));
}

// the genesis this browser checks against, for the top bar; a refused one as a banner
export async function showGenesis(slot, banner, toast) {
  try {
    const { genesis } = await trustAnchor();
    slot.replaceChildren(h("span.genesis#genesis-pin", { title: t("genesis_title", { hash: genesis.hash }) }, t("genesis_short", { hash: genesis.hash.slice(0, 8) })));
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
