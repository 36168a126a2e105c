"""The console's sign-in passphrase: stored only as a salted scrypt hash in config.json.

    scrypt$<log2 n>$<r>$<p>$<salt hex>$<hash hex>

`fae node console-passphrase --home DIR` sets it (faechain.cli.console). A node that is
not a dev chain on loopback refuses console sign-in until one is set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "scrypt"
LOG2_N, R, P = 15, 8, 1  # 32 MiB and ~0.1 s per check: slow for a guesser, quick for a person
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 8


def _scrypt(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=128 * r * n * p + 1024 * 1024, dklen=HASH_BYTES)


def hash_passphrase(passphrase: str, *, log2_n: int = LOG2_N) -> str:
    """A new salted hash of `passphrase` (ValueError if it is shorter than MIN_LENGTH)."""
    if len(passphrase) < MIN_LENGTH:
        raise ValueError(f"a console passphrase has at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(passphrase, salt, log2_n, R, P)
    return f"{SCHEME}${log2_n}${R}${P}${salt.hex()}${digest.hex()}"


def verify_passphrase(stored: str, passphrase: str) -> bool:
    """Whether `passphrase` matches the stored hash (constant-time comparison)."""
    try:
        scheme, log2_n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != SCHEME:
            return False
        log2_n_i, r_i, p_i = int(log2_n), int(r), int(p)
        if not (10 <= log2_n_i <= 20 and 1 <= r_i <= 32 and 1 <= p_i <= 4):
            return False
        salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(_scrypt(passphrase, salt, log2_n_i, r_i, p_i), digest)


def is_hash(stored: str) -> bool:
    return isinstance(stored, str) and stored.startswith(SCHEME + "$") and stored.count("$") == 5
