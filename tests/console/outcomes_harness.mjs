// The node half of tests/console/test_console_outcomes.py: run the console's own outcomes.js
// (what a signed transaction will do, in words) outside a browser, on cases read as JSON from
// stdin, and print what it says as JSON on stdout.
//
// input:  {static: "<faechain/console/static>", orgs: [{id, name}], cases: [{contract, method,
//          args, lang, me, now, reads: {"contract.method": answer | "FAIL"} | null}]}
//          (reads null: no reads at all; a read not listed fails, as a refused one does)
// output: {covered: ["contract.method", ...], rows: {lang: {name: value}}, sentences: [[...], ...]}
import { readFileSync } from "node:fs";

// what i18n.js touches at import: the remembered language and the page's lang attribute
globalThis.localStorage = { getItem: () => null, setItem: () => {} };
globalThis.document = { documentElement: {} };

const input = JSON.parse(readFileSync(0, "utf-8"));
const at = (name) => "file://" + input.static + "/" + name;
const { whatWillHappen, COVERED } = await import(at("outcomes.js"));
const { setLang } = await import(at("i18n.js"));
const { setOrgs } = await import(at("fmt.js"));
const { readable } = await import(at("summary.js"));
setOrgs(input.orgs || []);

function reader(reads) {
  if (reads === null || reads === undefined) return null;
  return async (contract, method) => {
    const answer = reads[`${contract}.${method}`];
    if (answer === undefined || answer === "FAIL") throw new Error(`refused: ${contract}.${method}`);
    return answer;
  };
}

const sentences = [];
for (const c of input.cases || []) {
  setLang(c.lang);
  sentences.push(await whatWillHappen(c.contract, c.method, c.args, { me: c.me, name: "tester", now: c.now, query: reader(c.reads) }));
}
const rows = {};
for (const lang of ["zh", "en"]) {
  setLang(lang);
  rows[lang] = Object.fromEntries((input.amounts || []).map((fen) => [String(fen), readable("amount", fen)]));
}
process.stdout.write(JSON.stringify({ covered: COVERED, rows, sentences }));
