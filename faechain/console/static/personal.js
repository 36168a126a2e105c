// Personal data in the console. The chain names a borrower, a guarantor or an individual investor only
// by the commitment of a personal data document in the vault (faechain/core/personal.py: canonical CBOR
// of {salt, fields: {name, id_type, id_number}}, the commitment its hash). personCell shows the
// commitment and, when asked, fetches the document as the signed-in member (the console's signed read of
// GET /v1/vault, so the contract's read rule decides) and shows the name and ID number only once the bytes
// hash to the commitment here and decode as such a document. Browsers have no SM3: on an sm2-sm3 chain it
// says so and shows nothing (`fae person show` checks it there).
import * as api from "./api.js";
import { bytesToHex, decode } from "./cbor.js";
import { t, tv } from "./i18n.js";
import { hasherFor } from "./smt.js";
import { button, clear, h } from "./ui.js";

const FIELDS = ["id_number", "id_type", "name"];
const ID_TYPES = ["resident_id", "passport", "other_id", "uscc"];

function sameKeys(obj, keys) {
  return obj !== null && typeof obj === "object" && !Array.isArray(obj) && !(obj instanceof Uint8Array)
    && Object.keys(obj).sort().join(",") === [...keys].sort().join(",");
}

// the document's fields, checked against the commitment; throws with what failed
export async function openPersonalData(scope, commitment) {
  const resp = await fetch(`/console/api/read/vault/${encodeURIComponent(commitment)}?scope=${encodeURIComponent(scope)}`,
    { credentials: "same-origin" });
  if (!resp.ok) {
    let doc = null;
    try {
      doc = await resp.json();
    } catch {
      doc = null;
    }
    throw new api.ApiError(doc && doc.code ? doc.code : "http_" + resp.status, doc && doc.message ? doc.message : resp.statusText, resp.status);
  }
  const bytes = new Uint8Array(await resp.arrayBuffer());
  const hasher = hasherFor((await api.info()).suite);
  if (!hasher) throw new Error(t("person_no_browser_hash"));
  const digest = bytesToHex(await hasher(bytes));
  if (digest !== commitment) throw new Error(t("person_mismatch", { hash: digest }));
  const doc = decode(bytes); // canonical CBOR only
  const f = doc && doc.fields;
  if (!sameKeys(doc, ["fields", "salt"]) || !(doc.salt instanceof Uint8Array) || doc.salt.length !== 32
      || !sameKeys(f, FIELDS) || !FIELDS.every((k) => typeof f[k] === "string") || !ID_TYPES.includes(f.id_type)) {
    throw new Error(t("person_malformed"));
  }
  return { name: f.name, id_type: f.id_type, id_number: f.id_number };
}

// a commitment with a "show" button; the person, once shown, stays in this cell only
export function personCell(scope, commitment) {
  if (!commitment) return "—";
  const el = h("span.person", h("code", { title: commitment }, commitment.slice(0, 12) + "…"), " ");
  el.append(button(t("person_show"), async () => {
    const p = await openPersonalData(scope, commitment);
    clear(el, h("span.person-data", { title: t("person_checked", { hash: commitment }) },
      `${p.name} · ${tv("id_type", p.id_type)} ${p.id_number}`));
  }, "small", { "data-person": commitment }));
  return el;
}
