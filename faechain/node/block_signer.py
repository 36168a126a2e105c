"""The solo chain's block signer key in a node home: `<home>/block_signer_key.pem`.

A solo chain has one node and no validators, so that node signs every block header with
a key genesis declares (`Genesis.block_signer`; see faechain.core.genesis for why it is
not a `validators` entry). The private key lives in the node's home like CometBFT's
`priv_validator_key.json`: a PEM of the chain suite's key (PKCS#8 Ed25519, or SM2 on an SM
chain), readable by its owner only (mode 0600). Whoever holds it can sign a chain's
history; members trust the operator not to sign two (SECURITY.md).

    entry = create_block_signer(path, "ed25519")   # a new key (or the one already there)
    genesis.block_signer = entry                   # {"name", "pub_key" (base64)}
    signer = load_block_signer(home, genesis)      # the node: a HeaderSigner, or None
"""

from __future__ import annotations

import base64
import os

from faechain.core.errors import FaeError
from faechain.core.genesis import Genesis
from faechain.crypto.suite import PrivateKey, SuiteError, get_suite
from faechain.engines.solo import HeaderSigner
from faechain.node.config import paths

DEFAULT_NAME = "block-signer"


class BlockSignerError(FaeError, ValueError):
    """The node's block signer key is missing, unreadable, or not the one genesis declares."""

    code = "bad_block_signer"


def genesis_entry(key: PrivateKey, name: str = DEFAULT_NAME) -> dict[str, str]:
    """The `block_signer` entry of genesis declaring `key`'s public key."""
    return {"name": name, "pub_key": base64.b64encode(key.public().raw()).decode()}


def write_key(path: str, pem: bytes) -> None:
    """Write a private key file readable by its owner only (mode 0600 from the start)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that already existed


def read_key(path: str, suite_name: str) -> PrivateKey:
    """The block signer key at `path`, of suite `suite_name`; BlockSignerError otherwise."""
    try:
        with open(path, "rb") as f:
            pem = f.read()
    except FileNotFoundError:
        raise BlockSignerError(f"no block signer key at {path}") from None
    try:
        return get_suite(suite_name).load_private_pem(pem)
    except SuiteError as exc:
        raise BlockSignerError(f"{path} is not a {suite_name} block signer key: {exc.message}") from None


def create_block_signer(path: str, suite_name: str, name: str = DEFAULT_NAME) -> dict[str, str]:
    """A new block signer key at `path` (mode 0600) of the chain's suite, or the one already
    there; its genesis entry."""
    if os.path.exists(path):
        key = read_key(path, suite_name)
    else:
        key = get_suite(suite_name).generate()
        write_key(path, key.to_pem())
    return genesis_entry(key, name)


def install_block_signer(home: str, genesis: Genesis, key_file: str) -> str:
    """Copy the key `key_file` into `home` as its block signer key (mode 0600), after checking
    that it is the one `genesis` declares; the path written."""
    declared = declared_key(genesis)
    if declared is None:
        raise BlockSignerError("this genesis declares no block signer: a block signer key has no use here")
    key = read_key(key_file, genesis.suite)
    check_matches(key, declared, key_file)
    dest = paths(home)["block_signer"]
    if os.path.abspath(key_file) != dest:
        write_key(dest, key.to_pem())
    return dest


def declared_key(genesis: Genesis) -> bytes | None:
    """The raw public key genesis declares as block signer, None if none."""
    try:
        return genesis.block_signer_key()
    except ValueError as exc:
        raise BlockSignerError(str(exc)) from None


def check_matches(key: PrivateKey, declared: bytes, where: str) -> None:
    """BlockSignerError unless `key` (read from `where`) is the declared signer's."""
    if key.public().raw() != declared:
        raise BlockSignerError(f"the key in {where} has public key {key.public().raw().hex()}, but genesis "
                               f"declares block signer {declared.hex()}")


def load_block_signer(home: str, genesis: Genesis) -> HeaderSigner | None:
    """The node's HeaderSigner when `genesis` declares a block signer (None when it does not:
    the chain's headers are unsigned). BlockSignerError, saying what to do, when the key is
    missing from the home or is not the declared one."""
    declared = declared_key(genesis)
    if declared is None:
        return None
    path = paths(home)["block_signer"]
    if not os.path.exists(path):
        raise BlockSignerError(
            f"genesis declares block signer {declared.hex()} but {path} is missing: copy the key made by "
            "`fae genesis create --block-signer-key FILE` there (or `fae node init --block-signer-key FILE`)")
    key = read_key(path, genesis.suite)
    check_matches(key, declared, path)
    return HeaderSigner(key)
