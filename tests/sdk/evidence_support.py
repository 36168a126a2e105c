"""Evidence bundles for tests: tamperings as JSON Patches, and the two verifiers side by side.

Each tampering takes an honest bundle and returns an RFC 6902 patch (only "replace",
"remove" and "add" with JSON Pointers) that a forger could apply: the committed test vectors
(docs/evidence-vectors/vectors.json) are such patches over honest bundles, so an
implementer in another language replays them without running Python, and the tests on live
demo and localnet bundles apply the same functions.

`verdicts(bundle, ...)` runs the SDK's verifier (`faechain.sdk.evidence.verify`) and the
standalone one (`faechain.sdk.evidence_standalone.verify`) on one bundle; `run_isolated`
runs a copy of the standalone file in a Python that cannot import faechain.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from typing import Any

from faechain.core.block import header_signing_bytes
from faechain.core.encoding import decode, encode
from faechain.core.genesis import Genesis
from faechain.crypto.suite import get_suite
from faechain.sdk import evidence
from faechain.sdk import evidence_standalone as standalone
from faechain.sdk.light import cometbft as cb
from faechain.sdk.light.synthetic import private_key, public_bytes
from tests.sdk.light_support import keep_signatures, outsider_signs

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "evidence-vectors")
STANDALONE = standalone.__file__

Patch = list[dict[str, Any]]


# -- JSON Patch ----------------------------------------------------------------------------------------------
def _parts(pointer: str) -> list[str]:
    assert pointer.startswith("/"), pointer
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def apply_patch(doc: Any, patch: Patch) -> Any:
    """RFC 6902 replace / remove / add, on a copy."""
    out = copy.deepcopy(doc)
    for op in patch:
        *parents, last = _parts(op["path"])
        target = out
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target[p]
        if isinstance(target, list):
            index = len(target) if last == "-" else int(last)
            if op["op"] == "remove":
                del target[index]
            elif op["op"] == "add":
                target.insert(index, copy.deepcopy(op["value"]))
            else:
                target[index] = copy.deepcopy(op["value"])
        else:
            if op["op"] == "remove":
                del target[last]
            else:
                target[last] = copy.deepcopy(op["value"])
    return out


# -- finding things in a bundle ------------------------------------------------------------------------------
def record_index(bundle: dict, key: str, height: int | None = None) -> int:
    h = bundle.get("height") if height is None else height
    for i, r in enumerate(bundle["records"]):
        if r["key"] == key and r["height"] == h:
            return i
    raise KeyError(f"no record of {key} at {h}")


def record_value(bundle: dict, key: str) -> Any:
    raw = bundle["records"][record_index(bundle, key)]["value"]
    return None if raw is None else decode(bytes.fromhex(raw))


def hasher(bundle: dict):
    return get_suite(bundle["genesis"].get("suite", "ed25519")).hash


# -- tamperings ----------------------------------------------------------------------------------------------
def flip_value(bundle: dict, key: str) -> Patch:
    """One bit of the record's value changed; its proof left as it was."""
    i = record_index(bundle, key)
    raw = bytearray(bytes.fromhex(bundle["records"][i]["value"]))
    raw[len(raw) // 2] ^= 1
    return [{"op": "replace", "path": f"/records/{i}/value", "value": raw.hex()}]


def proof_of_another_key(bundle: dict, key: str, other: str) -> Patch:
    """The record of `key` carrying the value and proof of `other` (a genuine proof, of another key)."""
    i, j = record_index(bundle, key), record_index(bundle, other)
    return [{"op": "replace", "path": f"/records/{i}/value", "value": bundle["records"][j]["value"]},
            {"op": "replace", "path": f"/records/{i}/proof", "value": bundle["records"][j]["proof"]}]


def remove_record(bundle: dict, key: str, height: int | None = None) -> Patch:
    return [{"op": "remove", "path": f"/records/{record_index(bundle, key, height)}"}]


def forge_solo_header(bundle: dict, index: int = -1) -> Patch:
    """A solo header with another app hash, its block hash recomputed, the signature left."""
    i = index % len(bundle["signed_headers"])
    doc = bundle["signed_headers"][i]
    header = decode(bytes.fromhex(doc["header_bytes"]))
    header["app_hash"] = bytes([header["app_hash"][0] ^ 1]) + header["app_hash"][1:]
    raw = encode(header)
    return [{"op": "replace", "path": f"/signed_headers/{i}/header_bytes", "value": raw.hex()},
            {"op": "replace", "path": f"/signed_headers/{i}/block_hash", "value": hasher(bundle)(raw).hex()}]


def resign_solo_header(bundle: dict, *, claim_genesis_signer: bool, index: int = -1) -> Patch:
    """The header signed by a key that is not the genesis's block signer (an Ed25519 chain):
    under that key's own name, or claiming to be the genesis's signer."""
    i = index % len(bundle["signed_headers"])
    doc = bundle["signed_headers"][i]
    key = private_key("not the block signer")
    sig = key.sign(header_signing_bytes(bundle["genesis"]["chain_id"], doc["height"], bytes.fromhex(doc["block_hash"])))
    patch = [{"op": "replace", "path": f"/signed_headers/{i}/signature", "value": sig.hex()}]
    if not claim_genesis_signer:
        patch.append({"op": "replace", "path": f"/signed_headers/{i}/signer", "value": public_bytes(key).hex()})
    return patch


def another_genesis_signer(bundle: dict) -> Patch:
    """A whole forged chain: the genesis's block signer replaced by the forger's key, every
    header re-signed. It verifies alone — only your own genesis tells it apart."""
    import base64

    key = private_key("a forger's block signer")
    patch: Patch = [{"op": "replace", "path": "/genesis/block_signer",
                     "value": {"name": "forger", "pub_key": base64.b64encode(public_bytes(key)).decode()}}]
    for i, doc in enumerate(bundle["signed_headers"]):
        sig = key.sign(header_signing_bytes(bundle["genesis"]["chain_id"], doc["height"],
                                            bytes.fromhex(doc["block_hash"])))
        patch += [{"op": "replace", "path": f"/signed_headers/{i}/signer", "value": public_bytes(key).hex()},
                  {"op": "replace", "path": f"/signed_headers/{i}/signature", "value": sig.hex()}]
    return patch


def _light_block(bundle: dict, index: int) -> tuple[int, cb.LightBlock]:
    i = index % len(bundle["light_blocks"])
    return i, cb.light_block_from_json(bundle["light_blocks"][i])


def forge_light_block(bundle: dict, index: int = -1) -> Patch:
    """A CometBFT header with another app hash; its commit left as the validators signed it."""
    i, _ = _light_block(bundle, index)
    app = bundle["light_blocks"][i]["signed_header"]["header"]["app_hash"]
    forged = ("0" if app[0] != "0" else "1") + app[1:]
    return [{"op": "replace", "path": f"/light_blocks/{i}/signed_header/header/app_hash", "value": forged}]


def too_few_signatures(bundle: dict, keep: int = 2, index: int = -1) -> Patch:
    """Only `keep` of the commit's signatures left (the others marked absent)."""
    i, lb = _light_block(bundle, index)
    doc = cb.light_block_to_json(keep_signatures(lb, keep))
    return [{"op": "replace", "path": f"/light_blocks/{i}/signed_header/commit",
             "value": doc["signed_header"]["commit"]}]


def outsider_signature(bundle: dict, index: int = -1) -> Patch:
    """Signature #0 replaced by a valid signature of the same vote by a key outside the set."""
    i, lb = _light_block(bundle, index)
    doc = cb.light_block_to_json(outsider_signs(lb, 0, private_key("not a validator")))
    return [{"op": "replace", "path": f"/light_blocks/{i}/signed_header/commit",
             "value": doc["signed_header"]["commit"]}]


def swap_light_blocks(bundle: dict) -> Patch:
    a, b = bundle["light_blocks"][0], bundle["light_blocks"][1]
    return [{"op": "replace", "path": "/light_blocks/0", "value": b}, {"op": "replace", "path": "/light_blocks/1",
                                                                        "value": a}]


def forge_linked_header(bundle: dict, index: int = 0) -> Patch:
    app = bundle["linked_headers"][index]["app_hash"]
    return [{"op": "replace", "path": f"/linked_headers/{index}/app_hash",
             "value": ("0" if app[0] != "0" else "1") + app[1:]}]


def _block_index(bundle: dict, height: int) -> int:
    return next(i for i, b in enumerate(bundle["blocks"]) if b["height"] == height)


def remove_last_tx(bundle: dict, height: int) -> Patch:
    i = _block_index(bundle, height)
    n = len(bundle["blocks"][i]["txs"])
    return [{"op": "remove", "path": f"/blocks/{i}/txs/{n - 1}"}]


def remove_block(bundle: dict, height: int) -> Patch:
    return [{"op": "remove", "path": f"/blocks/{_block_index(bundle, height)}"}]


def change_receipt(bundle: dict, height: int, tx: int = 0) -> Patch:
    """The receipt of a transaction re-encoded with another message (still its own receipt)."""
    i = _block_index(bundle, height)
    receipt = decode(bytes.fromhex(bundle["blocks"][i]["txs"][tx]["receipt"]))
    receipt["message"] = receipt["message"] + " (edited)"
    return [{"op": "replace", "path": f"/blocks/{i}/txs/{tx}/receipt", "value": encode(receipt).hex()}]


def drop_history_version(bundle: dict, key: str) -> Patch:
    i = next(n for n, h in enumerate(bundle["histories"]) if h["key"] == key)
    heights = bundle["histories"][i]["heights"]
    assert len(heights) >= 3, heights
    return [{"op": "remove", "path": f"/histories/{i}/heights/{len(heights) // 2}"}]


def remove_signed_headers(bundle: dict) -> Patch:
    return [{"op": "replace", "path": "/signed_headers", "value": []}]


def wrong_format(bundle: dict) -> Patch:
    return [{"op": "replace", "path": "/format", "value": "faechain-evidence/0"}]


# -- the verifiers side by side --------------------------------------------------------------------------------
def sdk_verdict(bundle: Any, genesis: dict | None = None, checkpoint: tuple[int, bytes] | None = None) -> tuple:
    from faechain.sdk.light.client import Checkpoint

    mine = None if genesis is None else Genesis.from_json(json.dumps(genesis))
    cp = None if checkpoint is None else Checkpoint(*checkpoint)
    r = evidence.verify(bundle, genesis=mine, checkpoint=cp)
    return r.ok, r.code, r.failure


def standalone_verdict(bundle: Any, genesis: dict | None = None,
                       checkpoint: tuple[int, bytes] | None = None) -> tuple:
    r = standalone.verify(bundle, genesis, checkpoint)
    return r.ok, r.code, r.failure


def verdicts(bundle: Any, genesis: dict | None = None, checkpoint: tuple[int, bytes] | None = None) -> tuple:
    """((ok, code) of the SDK, (ok, code) of the standalone verifier, the SDK's message)."""
    a, b = sdk_verdict(bundle, genesis, checkpoint), standalone_verdict(bundle, genesis, checkpoint)
    return a[:2], b[:2], a[2] or b[2]


def assert_agree(bundle: Any, ok: bool, code: str | None, genesis: dict | None = None, what: str = "") -> str:
    """Both verifiers give (ok, code); returns the SDK's failure message."""
    sdk, alone, message = verdicts(bundle, genesis)
    assert sdk == alone, f"{what}: the SDK says {sdk}, the standalone verifier {alone} ({message})"
    assert sdk == (ok, code), f"{what}: expected {(ok, code)}, got {sdk} ({message})"
    return message or ""


# -- the standalone file, run where faechain cannot be imported ---------------------------------------------------
ISOLATED = """
import json, runpy, sys
sys.path.append(SITE)
try:
    import faechain
    print(json.dumps({"faechain_importable": faechain.__file__}))
    sys.exit(3)
except ImportError:
    pass
mod = runpy.run_path("evidence_standalone.py")
out = []
for job in json.load(open("jobs.json")):
    bundle = json.load(open(job["file"]))
    genesis = json.load(open(job["genesis"])) if job.get("genesis") else None
    r = mod["verify"](bundle, genesis)
    out.append({"ok": r.ok, "code": r.code, "failure": r.failure})
print(json.dumps(out))
"""


def site_packages() -> str:
    """The directory `cryptography` is installed in (and with it, here, faechain's editable finder,
    which only `site` would activate)."""
    import cryptography

    return os.path.dirname(os.path.dirname(cryptography.__file__))


def run_isolated(workdir: str, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Verdicts of a copy of evidence_standalone.py in `workdir`, run by `python -I -S` (no
    environment, no user site, no .pth processing) with only site-packages on its path, so
    that `import faechain` fails there (checked first: exit 3 if it does not)."""
    shutil.copy(STANDALONE, os.path.join(workdir, "evidence_standalone.py"))
    with open(os.path.join(workdir, "jobs.json"), "w") as f:
        json.dump(jobs, f)
    code = ISOLATED.replace("SITE", repr(site_packages()))
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=workdir, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    return json.loads(done.stdout)


def isolated_main(workdir: str, bundle_file: str, *args: str) -> subprocess.CompletedProcess:
    """`python evidence_standalone.py FILE ARGS` (its command line) in the same isolated Python."""
    shutil.copy(STANDALONE, os.path.join(workdir, "evidence_standalone.py"))
    code = (f"import runpy, sys; sys.path.append({site_packages()!r}); "
            f"sys.argv = ['evidence_standalone.py', {bundle_file!r}, *{list(args)!r}]; "
            "runpy.run_path('evidence_standalone.py', run_name='__main__')")
    return subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=workdir, capture_output=True, text=True,
                          timeout=300)
