// The browser's half of tests/e2e/test_console_light.py (and of the trace comparison in
// tests/e2e/test_console_evidence.py): run each case (a light-client check
// and its inputs, as JSON) with the console's own modules, and report the outcome in the shape
// the Python half computes: {ok: true, value} or {ok: false, code, message}. Evaluated in a page
// of the console's origin as one function expression (page.evaluate).
async (cases) => {
  const cb = await import('/console/assets/cometbft.js');
  const light = await import('/console/assets/light.js');
  const { bytesToHex, hexToBytes } = await import('/console/assets/cbor.js');
  const HEX = (b) => bytesToHex(b).toUpperCase();
  const lb = (doc) => cb.lightBlockFromJson(doc);
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const fetcher = (blocks) => async (h) => {
    if (!(h in blocks)) throw new Error(`the browser asked for height ${h}, which Python never fetched`);
    return lb(blocks[h]);
  };
  const ops = {
    hashes: async (c) => {
      const b = lb(c.block);
      return { hash: HEX(await cb.headerHash(b.header)), validators_hash: HEX(await cb.validatorSetHash(b.validatorSet)) };
    },
    adjacent: async (c) => cb.tallyText(await cb.verifyAdjacent(lb(c.trusted), lb(c.untrusted), c.period_s, c.now_ms, c.drift_s)),
    non_adjacent: async (c) => cb.tallyText(await cb.verifyNonAdjacent(lb(c.trusted), lb(c.untrusted), c.period_s, c.now_ms,
      c.drift_s, c.trust_level.map(BigInt))),
    verify_to: async (c) => {
      const r = await cb.verifyTo(lb(c.trusted), c.target, fetcher(c.blocks),
        { nowMs: c.now_ms, trustingPeriodS: c.period_s, trustLevel: c.trust_level.map(BigInt) });
      return { height: r.block.height, hash: HEX(await cb.headerHash(r.block.header)), trace: r.trace.map((b) => b.height) };
    },
    trust_genesis: async (c) => {
      const vals = await cb.validatorSetOf(c.validators.map(([k, p]) => [b64(k), BigInt(p)]));
      const b = await cb.trustGenesis(c.chain_id, vals, fetcher(c.blocks));
      return { height: b.height, hash: HEX(await cb.headerHash(b.header)) };
    },
    evidence_trace: async (c) => {
      const trace = await cb.evidenceTrace(lb(c.anchor), c.targets, fetcher(c.blocks),
        { trustingPeriodS: c.period_s, trustLevel: c.trust_level.map(BigInt) });
      return { heights: trace.map((b) => b.height), hashes: await Promise.all(trace.map(async (b) => HEX(await cb.headerHash(b.header)))) };
    },
    trusted_header: async (c) => {
      const t = await cb.trustedHeader(lb(c.after), c.chain_id);
      return { height: t.height, app_hash: bytesToHex(t.appHash), time_ms: t.timeMs, basis: t.basis };
    },
    client: async (c) => {
      const lc = new light.LightClient(c.genesis, async (h) => c.relay[h] ?? null, { nowMs: () => c.now_ms });
      const out = [];
      for (const h of c.heights) {
        try {
          const t = await lc.trusted(h);
          out.push({ height: t.height, app_hash: bytesToHex(t.appHash), time_ms: t.timeMs, basis: t.basis });
        } catch (e) {
          out.push({ code: e.code, message: e.message });
        }
      }
      return out;
    },
    solo: async (c) => {
      const t = await light.verifySolo(c.doc, c.chain_id, hexToBytes(c.key), c.height);
      return { height: t.height, block_hash: bytesToHex(t.blockHash), app_hash: bytesToHex(t.appHash), time_ms: t.timeMs,
        basis: t.basis };
    },
  };
  const out = [];
  for (const c of cases) {
    try {
      out.push({ ok: true, value: await ops[c.op](c) });
    } catch (e) {
      out.push(e.code ? { ok: false, code: e.code, message: e.message } : { ok: false, code: 'js ' + e.name, message: e.message });
    }
  }
  return out;
}
