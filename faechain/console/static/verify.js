// Checking what a node answered, in the browser, without trusting the node:
//  - verifyPenetration: faechain.sdk.penetration.verify ported (authenticity of every element
//    and completeness of the tree) against the app hash of a *trusted* header;
//  - verifyWrite: one state value with its proof (the explorer's "what it changed");
//  - verifyLineage: receivables.voucher ported in part (the piece, its lineage up to the root, the
//    root and its invoices, each proven; what is shown of them equal to what is proven);
//  - checkSigned: a signed transaction body re-hashed and decoded here.
// The verifiers of a whole view also hand back the proof documents they checked (`proofs`), from
// which evidence.js makes a bundle without asking the node again.
// A trusted header is what light.js established by signatures (trust.js hands them out):
// {height, appHash (bytes), basis}. The proofs are checked against its app hash and nothing
// else, so a node that forges a value, its proof, the app hash and its own block header
// together still fails: it cannot forge the validators' or the block signer's signature.
import { bytesToHex, decode, hexToBytes, jsonable, sameValue } from "./cbor.js";
import { verifyProof } from "./smt.js";

const enc = new TextEncoder();

function proofBytes(p) {
  return { siblings: p.siblings.map(hexToBytes), leaf: p.leaf ? p.leaf.map(hexToBytes) : null };
}

class Checker {
  constructor(result, trusted, hash) {
    this.height = trusted.height;
    this.appHash = trusted.appHash;
    this.appHashHex = bytesToHex(trusted.appHash);
    this.hash = hash;
    this.checked = 0;
    this.problems = [];
    this.proofs = []; // the proof documents that verified: what an evidence bundle carries
    if (result.height !== trusted.height) this.problems.push(`the answer was read at height ${result.height}, the trusted header is block ${trusted.height}'s`);
  }

  async element(elem, expectedKey) {
    if (!elem || typeof elem !== "object" || Array.isArray(elem)) {
      this.problems.push(`${expectedKey}: missing`);
      return null;
    }
    if (elem.key !== expectedKey) {
      this.problems.push(`${expectedKey}: the node answered with ${JSON.stringify(elem.key)} instead`);
      return null;
    }
    const proof = elem.proof;
    if (!proof || typeof proof !== "object") {
      this.problems.push(`${expectedKey}: no proof`);
      return null;
    }
    let proven;
    try {
      if (proof.app_hash !== this.appHashHex || proof.height !== this.height) {
        this.problems.push(`${expectedKey}: proven against another block`);
        return null;
      }
      if (proof.key !== bytesToHex(enc.encode(expectedKey))) {
        this.problems.push(`${expectedKey}: the proof is for another key`);
        return null;
      }
      const raw = proof.value === null ? null : hexToBytes(proof.value);
      const ok = await verifyProof(this.hash, this.appHash, enc.encode(expectedKey), raw, proofBytes(proof.proof));
      if (!ok) {
        this.problems.push(`${expectedKey}: the proof does not verify`);
        return null;
      }
      proven = raw === null ? null : jsonable(decode(raw));
    } catch (e) {
      this.problems.push(`${expectedKey}: malformed proof (${e.name || "Error"}: ${e.message})`);
      return null;
    }
    if (proven === null) {
      this.problems.push(`${expectedKey}: proven absent`);
      return null;
    }
    if (!sameValue(elem.value, proven)) this.problems.push(`${expectedKey}: the value shown differs from the value proven`);
    this.checked += 1;
    this.proofs.push(proof);
    return proven;
  }

  async sequence(elems, keys, what) {
    const list = Array.isArray(elems) ? elems : [];
    if (list.length !== keys.length) this.problems.push(`${what}: ${list.length} shown, the proven plan has ${keys.length}`);
    const out = [];
    for (let i = 0; i < Math.min(list.length, keys.length); i++) out.push(await this.element(list[i], keys[i]));
    return out;
  }
}

const pad = (n, w) => String(n).padStart(w, "0");

// result: the JSON answer of plans.penetrate(prove=true); trusted: the trusted header of block
// result.height (trust.js); hash: async SHA-256. -> {ok, checked, problems, tree}
export async function verifyPenetration(result, trusted, hash) {
  const c = new Checker(result, trusted, hash);
  const planId = result.plan_id;
  const plan = await c.element(result.plan, `plans/plan/${planId}`);
  if (plan === null) return { ok: false, checked: c.checked, problems: c.problems, tree: {}, appHashHex: c.appHashHex };
  const tree = { plan, assets: [] };
  const shown = Array.isArray(result.assets) ? result.assets.filter((a) => a && typeof a === "object") : [];
  const byAsset = new Map(shown.map((a) => [a.asset, a]));
  if (!sameValue(shown.map((a) => a.asset), plan.assets)) c.problems.push("assets: the pool shown is not the pool the proven plan lists");
  for (const asset of plan.assets) {
    const node = byAsset.get(asset) || {};
    const i = asset.indexOf(":");
    const kind = asset.slice(0, i), id = asset.slice(i + 1);
    const entry = await c.element(node.entry, `plans/asset/${asset}`);
    if (entry !== null && entry.plan !== planId) c.problems.push(`${asset}: its pool entry names plan ${entry.plan}`);
    const out = { asset, entry };
    if (kind === "voucher") {
      const voucher = await c.element(node.voucher, `receivables/voucher/${id}`);
      out.voucher = voucher;
      const root = voucher === null ? null : await c.element(node.root, `receivables/root/${voucher.root}`);
      out.root = root;
      const invoiceIds = root === null ? [] : root.invoices;
      out.invoices = await c.sequence(node.invoices, invoiceIds.map((x) => `receivables/invoice/${x}`), `${asset} invoices`);
    } else {
      out.invoice = await c.element(node.invoice, `receivables/invoice/${id}`);
    }
    tree.assets.push(out);
  }
  const docHashes = (await c.element(result.documents_list, `plans/docs/${planId}`)) || [];
  tree.documents = await c.sequence(result.documents, docHashes.map((h) => `plans/doc/${h}`), "documents");
  for (const [name, count, width, sub] of [["cash_flows", "cash_flows", 6, "cashflow"], ["disclosures", "disclosures", 4, "disclosure"], ["payments", "payments", 4, "payment"]]) {
    const keys = [];
    for (let n = 1; n <= plan[count]; n++) keys.push(`plans/${sub}/${planId}/${pad(n, width)}`);
    tree[name] = await c.sequence(result[name], keys, name);
  }
  return { ok: c.problems.length === 0, checked: c.checked, problems: c.problems, tree, appHashHex: c.appHashHex, proofs: c.proofs };
}

const LIVE = new Set(["ISSUED", "ACTIVE", "FINANCING", "FINANCED", "PLEDGED"]); // pieces paid at maturity
const summary = (v) => ({ id: v.id, parent: v.parent, tier: v.tier, holder: v.holder, amount: v.amount, status: v.status, paid: v.paid || 0 });
// what a piece shows as still owed: its face less what the rail confirmed paid (0 once PAID)
const outstanding = (v) => (v.status === "PAID" ? 0 : v.amount - (v.paid || 0));

// answer: {result, height} of receivables.voucher(id, prove=true); trusted: the trusted header of
// block answer.height; hash: async SHA-256; more(key): a proof document of `key` at that height
// for what the answer does not carry (the root's invoices: GET /v1/state?prove=true).
// -> {ok, checked, problems, voucher, lineage (root first), root, invoices, proofs, appHashHex}
export async function verifyLineage(answer, id, trusted, hash, more) {
  const result = (answer && answer.result) || {};
  const c = new Checker({ height: answer.height }, trusted, hash);
  const carried = new Map();
  for (const doc of Object.values(result.proofs || {})) {
    try {
      carried.set(new TextDecoder("utf-8", { fatal: true }).decode(hexToBytes(doc.key)), doc);
    } catch {
      c.problems.push("a proof without a readable key");
    }
  }
  const fail = () => ({ ok: false, checked: c.checked, problems: c.problems, proofs: c.proofs, appHashHex: c.appHashHex });
  // a proven record (the value is read from the proof, never from what the node shows)
  const record = async (key, namedBy) => {
    let doc = carried.get(key);
    if (doc === undefined) doc = await more(key).catch((e) => (c.problems.push(`${key}: ${namedBy ? namedBy + " names it, and " : ""}the node gives no proof of it (${e.msg || e.message})`), null));
    if (!doc) return null;
    let value = null;
    try {
      value = doc.value === null ? null : jsonable(decode(hexToBytes(doc.value)));
    } catch {
      /* refused by the element check below */
    }
    return c.element({ key, value, proof: doc }, key);
  };
  const key = `receivables/voucher/${id}`;
  const v = await record(key);
  if (v === null) return fail();
  const lineage = [];
  let cur = v, curKey = key;
  while (cur.parent !== null && cur.parent !== undefined) {
    const parentKey = `receivables/voucher/${cur.parent}`;
    cur = await record(parentKey, `${curKey} (its parent)`);
    if (cur === null) return fail();
    curKey = parentKey;
    lineage.push(cur);
    if (lineage.length > 100_000) return (c.problems.push(`${key}: the proven lineage does not end`), fail());
  }
  const top = lineage.length ? lineage[lineage.length - 1] : v;
  if (top.id !== v.root) return (c.problems.push(`${key}: the proven lineage ends at ${top.id}, not at its root ${v.root}`), fail());
  const rootKey = `receivables/root/${v.root}`;
  const root = await record(rootKey, `${key} (its root)`);
  if (root === null) return fail();
  const invoices = [];
  for (const i of root.invoices || []) invoices.push(await record(`receivables/invoice/${i}`, `${rootKey} (its invoices)`));
  lineage.reverse();
  // what the node shows must be what is proven
  const status = root.status === "OVERDUE" && LIVE.has(v.status) ? "OVERDUE" : v.status;
  if (!sameValue(result.voucher, { ...v, status, outstanding: outstanding(v) })) c.problems.push(`${key}: the voucher shown differs from the value proven`);
  const { invoice_refs: _refs, ...rootShown } = root;
  if (!sameValue(result.root, rootShown)) c.problems.push(`${rootKey}: the root shown differs from the value proven`);
  if (!sameValue(result.ancestors, lineage.map(summary))) c.problems.push(`${key}: the lineage shown is not the proven lineage up to the root ${v.root}`);
  return { ok: c.problems.length === 0, checked: c.checked, problems: c.problems, voucher: { ...v, status }, lineage, root, invoices, proofs: c.proofs, appHashHex: c.appHashHex };
}

// one written value with its proof (explorer): true when it verifies against the app hash of
// `trusted`, the trusted header of the block that wrote it
export async function verifyWrite(write, trusted, hash) {
  const value = write.value === null ? null : hexToBytes(write.value);
  const ok = await verifyProof(hash, trusted.appHash, hexToBytes(write.key_hex), value, proofBytes(write.proof));
  if (!ok) return false;
  if (value !== null && write.decoded !== undefined) return sameValue(write.decoded, jsonable(decode(value)));
  return true;
}

// a signed transaction as the console shows it: does H(body) equal the tx hash, and does the
// body decode to exactly the fields shown? -> {ok, problems}
export async function checkSigned(signed, hash) {
  const problems = [];
  let body;
  try {
    const raw = hexToBytes(signed.body);
    // the tx hash is the chain suite's hash of the body; without that hash here (SM3), only
    // the fields are compared
    if (hash && bytesToHex(await hash(raw)) !== signed.tx_hash) problems.push("hash(body) ≠ tx hash");
    body = jsonable(decode(raw));
  } catch (e) {
    return { ok: false, problems: ["body: " + e.message] };
  }
  const want = { chain: signed.chain, contract: signed.contract, method: signed.method, expires: signed.expires, signer: signed.signer };
  for (const [k, v] of Object.entries(want)) if (!sameValue(body[k], v)) problems.push(k + " differs");
  if (BigInt(body.nonce) !== BigInt(signed.nonce)) problems.push("nonce differs");
  if (!sameValue(body.args, signed.args)) problems.push("args differ");
  return { ok: problems.length === 0, problems, body, hashed: !!hash };
}
