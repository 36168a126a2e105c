"""The recovery `fae verify` and a refusing node advise under CometBFT, done for real on a
4-validator network: a validator whose ledger was damaged refuses to start (and says to
move its data aside); with its data moved aside it starts on a fresh ledger, CometBFT
re-executes every block from its own block store, the node catches up from the others and
ends with the same app hashes.

Run only these: python -m pytest -m localnet tests/e2e/test_tamper_localnet.py
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from localnet_support import Load, assert_same_app_hashes, height, running_localnet, wait_caught_up, wait_until

from faechain.cli.verify import verify_home
from faechain.devnet.localnet import LocalnetError

pytestmark = pytest.mark.localnet


def test_a_damaged_validator_refuses_then_recovers_by_replay(tmp_path):
    with running_localnet(str(tmp_path / "net"), 4) as net:
        with Load(net, [0, 1, 2], rate=15, tag="tamper"):
            wait_until(lambda: (height(net, 0) or 0) >= 6, 60, "six blocks")
        wait_caught_up(net)
        net.stop([3])
        home = net.node_home(3)
        db = os.path.join(home, "data", "chain.db")
        conn = sqlite3.connect(db)
        h, header = conn.execute("SELECT height, header FROM blocks ORDER BY height DESC LIMIT 1").fetchone()
        damaged = header[:30] + bytes([header[30] ^ 1]) + header[31:]
        conn.execute("UPDATE blocks SET header=? WHERE height=?", (damaged, h))
        conn.commit()
        conn.close()

        report = verify_home(home)
        assert not report.ok and report.first.table == "blocks" and report.first.height == h
        assert "move" in report.recovery and "CometBFT re-executes every block" in report.recovery

        with pytest.raises(LocalnetError):
            net.start([3], timeout=60)
        log = open(net.log_file(3, "fae")).read().rsplit("=== ", 1)[1]
        assert f"damaged storage: blocks height {h}" in log
        assert f"move {os.path.join(home, 'data')} aside" in log
        assert net.pid(3, "cometbft") is None  # it never served

        # the advice: move the data aside and start again
        os.rename(os.path.join(home, "data"), os.path.join(home, "data.damaged"))
        net.start([3], timeout=120)
        wait_caught_up(net, timeout=120)
        assert height(net, 3) >= h
        assert_same_app_hashes(net)
    assert verify_home(home).ok
