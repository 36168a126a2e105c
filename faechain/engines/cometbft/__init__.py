"""faechain on CometBFT: the ABCI 2.0 server and the engine.

    proto.py     minimal protobuf codec for the ABCI messages (from the spec)
    codes.py     faechain's string codes <-> ABCI numeric codes
    abci.py      the ABCI socket server driving `Application`
    rpc.py       JSON-RPC client for CometBFT's RPC
    engine.py    `CometBFTEngine`: what the REST API submits through

`fae localnet` (N validators on this machine) is faechain.devnet.localnet.

CometBFT itself is the upstream Go binary, pinned to `COMETBFT_VERSION` and
installed by `scripts/install-cometbft.sh`; `find_cometbft()` locates it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from faechain.core.errors import FaeError

COMETBFT_VERSION = "0.38.26"


class CometBFTNotFound(FaeError, RuntimeError):
    """No CometBFT binary where faechain looks (FAE_COMETBFT, PATH, ~/go/bin)."""

    code = "cometbft_not_found"


def _gopath_bin() -> str | None:
    try:
        out = subprocess.run(["go", "env", "GOPATH"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    gopath = out.stdout.strip().split(os.pathsep)[0] if out.returncode == 0 else ""
    return os.path.join(gopath, "bin", "cometbft") if gopath else None


def find_cometbft() -> str:
    """The cometbft binary: $FAE_COMETBFT, else $(go env GOPATH)/bin/cometbft, else ~/go/bin, else PATH."""
    env = os.environ.get("FAE_COMETBFT")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env
        raise CometBFTNotFound(f"FAE_COMETBFT={env} is not an executable file")
    candidates = [_gopath_bin(), os.path.expanduser(os.path.join("~", "go", "bin", "cometbft")),
                  shutil.which("cometbft")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise CometBFTNotFound(
        f"cometbft {COMETBFT_VERSION} is not installed: run scripts/install-cometbft.sh "
        "(needs Go) or set FAE_COMETBFT to the binary")


def cometbft_version(binary: str) -> str:
    out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()
