"""Signature suites side by side: SM2/SM3 implementations against faechain's two suites.

    python bench/crypto_suites.py [--seconds 1.0] [--repeat 3] [--txs 4000] [--no-chain]

Prints, single-threaded on this machine, the best of `--repeat` runs of `--seconds` each:
  * sign/s and verify/s of a 200-byte message, and hashes/s of 64- and 1024-byte inputs
    (SM3, or SHA-256 for Ed25519), for each implementation that is installed:
      faechain ed25519   Ed25519 + SHA-256 through `cryptography`
      faechain sm2-sm3   OpenSSL 3's libcrypto through ctypes (e computed here) + hashlib's SM3
      tongsuopy          Tongsuo bundled in a pyca/cryptography fork
      gmalglib           a C extension
      gmssl-fast, gmssl-pyx   GmSSL 3 bundled in C extensions
      snowland-smx       pure Python (import name pysmx)
      gmssl              pure Python
      smcryptopy         a Rust library through cffi
    (the others are PyPI packages installed only to be measured: `pip install tongsuopy
    gmalglib gmssl-fast gmssl-pyx snowland-smx gmssl smcryptopy`);
  * unless --no-chain: committed transactions per second in process (check_txs +
    finalize_block + commit, durable) on an Ed25519 and on an SM2/SM3 demo chain, the
    workload of bench/throughput.py (`--txs` signed membership.set_attributes, blocks of 1,000).
Every implementation signs with the default user id 1234567812345678 and its signatures
are checked before timing, so the figures are for working code.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from faechain.crypto import sm2
from faechain.crypto.suite import get_suite

UID = b"1234567812345678"
MSG = os.urandom(200)
SHORT, LONG = os.urandom(64), os.urandom(1024)


def rate(fn, seconds: float, repeat: int) -> float:
    fn()
    best = 0.0
    for _ in range(repeat):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            for _ in range(8):
                fn()
            n += 8
        best = max(best, n / elapsed)
    return best


# -- candidates: each returns (sign, verify, hash) callables, after checking they work ------------
def faechain_suite(name: str):
    suite = get_suite(name)
    key = suite.generate()
    pub = suite.public_key(key.public().raw())
    sig = key.sign(MSG)
    assert pub.verify(sig, MSG) and not pub.verify(sig, MSG + b"x")
    return (lambda: key.sign(MSG)), (lambda: pub.verify(sig, MSG)), suite.hash


def tongsuopy():
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    key = ec.generate_private_key(ec.SM2())
    pub = key.public_key()
    sig = key.sign(MSG, ec.ECDSA(hashes.SM3()))
    pub.verify(sig, MSG, ec.ECDSA(hashes.SM3()))

    def h(data):
        d = hashes.Hash(hashes.SM3())
        d.update(data)
        return d.finalize()

    return (lambda: key.sign(MSG, ec.ECDSA(hashes.SM3()))), (lambda: pub.verify(sig, MSG, ec.ECDSA(hashes.SM3()))), h


def gmalglib():
    from gmalglib import core

    sk, pk = core.SM2().generate_keypair()
    s = core.SM2(sk, pk, UID)
    sig = s.sign(MSG)
    assert s.verify(MSG, sig) and not s.verify(MSG + b"x", sig)
    return (lambda: s.sign(MSG)), (lambda: s.verify(MSG, sig)), (lambda d: core.SM3(d).digest())


def gmssl_fast():
    import gmssl_fast as g

    k = g.SM2.generate()
    sig = k.sign(MSG)
    assert k.verify(MSG, sig)
    return (lambda: k.sign(MSG)), (lambda: k.verify(MSG, sig)), g.sm3


def gmssl_pyx():
    import gmssl_pyx as g

    pub, priv = g.sm2_key_generate()
    sig = g.sm2_sign(priv, pub, MSG)
    assert g.sm2_verify(pub, MSG, sig)
    return (lambda: g.sm2_sign(priv, pub, MSG)), (lambda: g.sm2_verify(pub, MSG, sig)), g.sm3_hash


def snowland_smx():
    import pysmx.SM2 as P
    from pysmx.SM3 import digest

    kp = P.generate_keypair()
    sig = P.Sign(MSG, kp.privateKey, os.urandom(32).hex(), 64, uid=UID)
    assert P.Verify(sig, MSG, kp.publicKey, 64, uid=UID)
    return ((lambda: P.Sign(MSG, kp.privateKey, os.urandom(32).hex(), 64, uid=UID)),
            (lambda: P.Verify(sig, MSG, kp.publicKey, 64, uid=UID)), digest)


def gmssl_pure():
    from gmssl import func, sm3
    from gmssl import sm2 as gm

    d = int.from_bytes(os.urandom(32), "big") % (sm2.N - 2) + 1
    pub = sm2.private_from_scalar(d).public().raw()[1:].hex()
    c = gm.CryptSM2(private_key=f"{d:064x}", public_key=pub)
    sig = c.sign_with_sm3(MSG)
    assert c.verify_with_sm3(sig, MSG)
    return (lambda: c.sign_with_sm3(MSG)), (lambda: c.verify_with_sm3(sig, MSG)), \
        (lambda data: sm3.sm3_hash(func.bytes_to_list(data)))


def smcryptopy():
    import smcryptopy.sm2 as s2
    import smcryptopy.sm3 as s3

    sk, pk = s2.gen_keypair()
    sig = s2.sign(UID, MSG, sk)
    assert s2.verify(UID, MSG, sig, pk)
    return (lambda: s2.sign(UID, MSG, sk)), (lambda: s2.verify(UID, MSG, sig, pk)), s3.sm3_hash


CANDIDATES = [
    ("faechain ed25519 (cryptography)", lambda: faechain_suite("ed25519")),
    ("faechain sm2-sm3 (OpenSSL 3, ctypes)", lambda: faechain_suite("sm2-sm3")),
    ("tongsuopy", tongsuopy),
    ("gmalglib", gmalglib),
    ("gmssl-fast", gmssl_fast),
    ("gmssl-pyx", gmssl_pyx),
    ("snowland-smx", snowland_smx),
    ("gmssl (pure Python)", gmssl_pure),
    ("smcryptopy", smcryptopy),
]
SLOW = ("snowland-smx", "gmssl (pure Python)", "smcryptopy")


def chain_rate(suite: str, count: int) -> float:
    from bench.throughput import make_txs
    from faechain.chain.application import Application
    from faechain.core.genesis import Genesis
    from faechain.devnet.demo import create_demo
    from faechain.ledger.storage import Store
    from faechain.node.config import paths

    home = tempfile.mkdtemp(prefix="fae-bench-suite-")
    try:
        create_demo(home, suite=suite)
        genesis = Genesis.load(paths(home)["genesis"])
        store = Store(paths(home)["db"])
        app = Application(store, genesis)
        now = int(time.time() * 1000)
        txs = make_txs(home, genesis.chain_id, count, now, 1000)
        start, ok = time.perf_counter(), 0
        for i in range(0, count, 1000):
            batch = txs[i : i + 1000]
            admitted = [raw for raw, c in zip(batch, app.check_txs(batch, now), strict=True) if c.ok]
            result = app.finalize_block(app.height + 1, now, admitted)
            app.commit()
            ok += sum(r.ok for r in result.receipts)
        elapsed = time.perf_counter() - start
        assert ok == count, f"{suite}: only {ok} of {count} committed"
        store.close()
        return count / elapsed
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--txs", type=int, default=4000)
    ap.add_argument("--no-chain", action="store_true")
    args = ap.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, libcrypto {sm2.lib().path} ({sm2.lib().version:#x}); "
          f"best of {args.repeat} x {args.seconds:g} s, one thread")
    print(f"{'implementation':<38} {'sign/s':>9} {'verify/s':>9} {'hash 64 B/s':>12} {'hash 1 KiB/s':>13}")
    for name, make in CANDIDATES:
        try:
            sign, verify, hasher = make()
        except ImportError:
            print(f"{name:<38} {'not installed':>9}")
            continue
        except Exception as exc:  # noqa: BLE001 - a package that does not work is reported, not fatal
            print(f"{name:<38} failed: {type(exc).__name__}: {exc}")
            continue
        secs = args.seconds / 4 if name in SLOW else args.seconds
        reps = 1 if name in SLOW else args.repeat
        s, v = rate(sign, secs, reps), rate(verify, secs, reps)
        h1 = rate(lambda h=hasher: h(SHORT), secs, reps)  # bound now: rate() calls it within this iteration
        h2 = rate(lambda h=hasher: h(LONG), secs, reps)
        print(f"{name:<38} {s:>9,.0f} {v:>9,.0f} {h1:>12,.0f} {h2:>13,.0f}")
    if not args.no_chain:
        print(f"\nin-process committed transactions/s ({args.txs} membership.set_attributes, blocks of 1,000, "
              "synchronous=FULL, one core)")
        rates = {}
        for suite in ("ed25519", "sm2-sm3"):
            rates[suite] = max(chain_rate(suite, args.txs) for _ in range(args.repeat))
            print(f"  {suite:<10} {rates[suite]:>8,.0f} /s")
        print(f"  sm2-sm3 / ed25519 = {rates['sm2-sm3'] / rates['ed25519']:.2f}")


if __name__ == "__main__":
    main()
