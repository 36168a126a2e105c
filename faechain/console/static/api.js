// The console's calls to its node (/console/api/...). The session cookie is HttpOnly; the
// CSRF token comes from the session document and goes with every POST and DELETE.
let csrf = "-";

export class ApiError extends Error {
  constructor(code, message, status) {
    super(code + ": " + message);
    this.code = code;
    this.msg = message;
    this.status = status;
  }
}

// a node with too many requests in flight answers 429 "busy" and asks to retry after a moment:
// the console does, a few times, before it shows the refusal (nothing was done: retrying is safe)
const BUSY_RETRIES_MS = [250, 500, 1000, 2000];

async function call(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await callOnce(method, path, body);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 429 && err.code === "busy") || attempt >= BUSY_RETRIES_MS.length) throw err;
      await new Promise((resolve) => setTimeout(resolve, BUSY_RETRIES_MS[attempt]));
    }
  }
}

async function callOnce(method, path, body) {
  const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET") opts.headers["X-Fae-CSRF"] = csrf;
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  let doc = null;
  try {
    doc = await resp.json();
  } catch {
    doc = null;
  }
  if (!resp.ok) {
    throw new ApiError(doc && doc.code ? doc.code : "http_" + resp.status, doc && doc.message ? doc.message : resp.statusText, resp.status);
  }
  return doc;
}

export async function session() {
  const doc = await call("GET", "/console/api/session");
  if (doc.csrf) csrf = doc.csrf;
  return doc;
}

export async function signIn(name, passphrase) {
  const doc = await call("POST", "/console/api/session", { name, passphrase });
  csrf = doc.csrf;
  return doc;
}

export async function signOut() {
  const doc = await call("DELETE", "/console/api/session");
  csrf = "-";
  return doc;
}

// a contract query as the signed-in member: its result
export async function query(contract, method, args = {}) {
  const doc = await call("POST", `/console/api/query/${encodeURIComponent(contract)}/${encodeURIComponent(method)}`, args);
  return doc.result;
}

// the same with the height it was read at: {result, height}
export async function queryAt(contract, method, args = {}) {
  return call("POST", `/console/api/query/${encodeURIComponent(contract)}/${encodeURIComponent(method)}`, args);
}

export async function prepare(contract, method, args) {
  return call("POST", "/console/api/tx/prepare", { contract, method, args });
}

export async function submit(txHash) {
  return call("POST", "/console/api/tx/submit", { tx_hash: txHash });
}

export async function info() {
  return call("GET", "/v1/info");
}

export async function blocks(limit = 20, before) {
  return call("GET", `/console/api/blocks?limit=${limit}` + (before ? `&before=${before}` : ""));
}

export async function block(height) {
  return call("GET", `/console/api/blocks/${height}`);
}

// the chain's genesis as the node serves it: {chain_id, suite, canonical (hex CBOR)}; genesis.js
// hashes and pins it, so a node that later serves another one is refused
export async function genesis() {
  return call("GET", "/console/api/genesis");
}

// what the light client checks block {height} by (GET /v1/light/{height} relayed); null while
// the node has no signed header for it yet
export async function light(height) {
  try {
    return await call("GET", `/console/api/light/${height}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

// GET /v1/{pathAndQuery} as a read signed by the session's member (e.g. "state?key=...&prove=true")
export async function read(pathAndQuery) {
  return call("GET", "/console/api/read/" + pathAndQuery);
}

export async function tx(hash) {
  return call("GET", `/console/api/txs/${encodeURIComponent(hash)}`);
}

// the explorer's search: the groups of matches of what a person typed, as the member may see them
export async function search(q) {
  return call("GET", `/console/api/search?q=${encodeURIComponent(q)}`);
}

export async function recentEvents(params = {}) {
  const q = new URLSearchParams(params).toString();
  return (await call("GET", "/console/api/events/recent" + (q ? "?" + q : ""))).events;
}

// Live events: onEvent(kind, data) for "contract" and "block" events. Returns a closer.
export function listen(params, onEvent) {
  const q = new URLSearchParams(params).toString();
  const es = new EventSource("/console/api/events" + (q ? "?" + q : ""), { withCredentials: true });
  for (const kind of ["contract", "block"]) {
    es.addEventListener(kind, (ev) => {
      try {
        onEvent(kind, JSON.parse(ev.data));
      } catch (e) {
        console.error(e);
      }
    });
  }
  return () => es.close();
}
