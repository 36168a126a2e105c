"""`fae localnet` usage errors (no CometBFT needed); the network itself as subprocesses
is exercised by tests/e2e/test_localnet_cli.py."""

from __future__ import annotations

from fae_cli_helpers import fae


def test_usage_errors(tmp_path):
    r = fae("localnet", "up", "--validators", "0", "--home", str(tmp_path / "x"))
    assert r.returncode == 2 and "--validators" in r.stderr
    r = fae("localnet", "status", "--home", str(tmp_path / "none"))
    assert r.returncode == 1 and "no localnet in" in r.stderr and "Traceback" not in r.stderr
    r = fae("localnet", "down", "--home", str(tmp_path / "none"))
    assert r.returncode == 1 and "no localnet in" in r.stderr
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "something").write_text("x")
    r = fae("localnet", "up", "--home", str(tmp_path / "busy"), timeout=120)
    assert r.returncode == 1 and "not empty" in r.stderr
    r = fae("localnet", "--help")
    assert r.returncode == 0 and "up" in r.stdout and "status" in r.stdout and "down" in r.stdout
