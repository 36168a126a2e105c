// Evidence bundles made in the browser (format faechain-evidence/1, docs/evidence.md), offered as a
// file where the console shows a verified view: a transaction's writes (kind "records"), a
// voucher's lineage ("voucher"), a plan's penetration ("plan").
//
// The node is not asked to build the bundle: it is not trusted. The browser assembles it from
// exactly what it verified — the records and their Merkle proofs as checked against a trusted
// header's app hash (verify.js, explorer.js), the genesis pinned in this browser (genesis.js), and
// the signed header material its light client checked (light.js): a solo chain's signed headers,
// or on CometBFT the light blocks from genesis to header h+1 of each height, each verified from
// the one before it at its own time, as an offline verifier will. Anyone can then check the file
// with `fae evidence verify FILE` or faechain/sdk/evidence_standalone.py, with no node.
import { bytesToHex, hexToBytes } from "./cbor.js";
import { t } from "./i18n.js";
import { saveJson, trustAnchor } from "./trust.js";
import { button, h } from "./ui.js";

export const FORMAT = "faechain-evidence/1";

// a record as a bundle holds it (docs/evidence.md §6), from a proof document the console checked:
// {key: hex of the key's bytes, value: hex or null, height, proof: {siblings, leaf}}
export function recordOf(proofDoc) {
  const key = new TextDecoder("utf-8", { fatal: true }).decode(hexToBytes(proofDoc.key));
  return { height: proofDoc.height, key, value: proofDoc.value, proof: { siblings: proofDoc.proof.siblings, leaf: proofDoc.proof.leaf } };
}

// the pinned genesis as JSON: the document decoded from the canonical bytes this browser hashed
// (its integers are small; a BigInt would not survive JSON)
function genesisJson(doc) {
  return JSON.parse(JSON.stringify(doc, (k, v) => (typeof v === "bigint" ? Number(v) : v instanceof Uint8Array ? bytesToHex(v) : v)));
}

// subject: {kind, id}; height: the block the subject is read at; records: what was verified there
// (recordOf). -> the bundle, with the header material for every height its records name
export async function makeBundle(subject, height, records) {
  const { genesis, client } = await trustAnchor();
  const heights = [...new Set([height, ...records.map((r) => r.height)])].sort((a, b) => a - b);
  const bundle = {
    format: FORMAT,
    exported_at: Date.now(),
    exported_from: location.origin,
    about: "made in the browser by the faechain console, from the records, proofs and signed headers it verified",
    genesis: genesisJson(genesis.doc),
    anchor: { type: "genesis" },
    engine: client.engine,
    subject,
    height,
    records,
  };
  if (client.engine === "solo") {
    bundle.signed_headers = [];
    for (const h of heights) bundle.signed_headers.push(await client.soloEvidence(h));
  } else {
    bundle.light_blocks = await client.evidenceTrace(heights);
  }
  return bundle;
}

const fileName = (subject) => `evidence-${subject.kind}-${String(subject.id).replace(/[^\w.-]+/g, "_").slice(0, 80)}.json`;

// the "Download evidence" button of a verified view: make() -> {subject, height, records}
export function evidenceButton(make) {
  return h("div.actions.evidence",
    button(t("download_evidence"), async () => {
      const { subject, height, records } = await make();
      saveJson(await makeBundle(subject, height, records), fileName(subject));
    }, "", { id: "download-evidence", title: t("evidence_note") }));
}
