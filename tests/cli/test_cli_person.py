"""`fae person put|show` (a subprocess) against an in-process demo node: a borrower's name and ID number into
the vault and only its commitment on chain; shown to those who may read it, checked against the commitment;
refused to others, and once erased."""

from __future__ import annotations

import json

import pytest
from fae_cli_helpers import fae

from faechain.devnet.demo import create_demo
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import Client
from tests.conftest import SUITE_NOW, wallet


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    home = str(tmp_path_factory.mktemp("cliperson"))
    create_demo(home, free_port(), now=SUITE_NOW)
    nt = NodeThread(home, anonymous_reads=False, heartbeat=1.0)
    nt.start()
    yield nt.node
    nt.stop()


def test_put_register_show_and_erase(node):
    home = node.home
    put = fae("person", "put", "--home", home, "--as", "bank2", "--scope", "npa", "--name", "Qian Haifeng",
              "--id-type", "resident_id", "--id-number", "12010419700101123X")
    assert put.returncode == 0, put.stderr
    commitment = put.stdout.strip()
    assert len(commitment) == 64 and node.vault.has(commitment)
    who = wallet(home)
    with Client(node.url, identity=who("bank2")) as bank2:
        assert bank2.submit(None, "npa", "register_loan", loan_no="CLI-1", borrower=commitment, principal=100_000_00,
                            interest=0, classification="loss", days_past_due=700).ok

    show = fae("person", "show", "--home", home, "--as", "regulator", "--scope", "npa", commitment)
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout) == {"commitment": commitment, "name": "Qian Haifeng", "id_type": "resident_id",
                                       "id_number": "12010419700101123X"}
    other = fae("person", "show", "--home", home, "--as", "bank", "--scope", "npa", commitment)
    assert other.returncode == 1 and "not_found" in other.stderr and "Qian" not in other.stdout + other.stderr

    erase = fae("tx", "--home", home, "--as", "bank2", "npa", "request_erasure", f"person={commitment}",
                "reason=the borrower's request")
    assert erase.returncode == 0, erase.stderr
    approve = fae("tx", "--home", home, "--as", "regulator", "npa", "approve_erasure", f"person={commitment}")
    assert approve.returncode == 0, approve.stderr
    gone = fae("person", "show", "--home", home, "--as", "regulator", "--scope", "npa", commitment)
    assert gone.returncode == 1 and "erased" in gone.stderr and not node.vault.has(commitment)


def test_usage_errors(node):
    bad = fae("person", "put", "--home", node.home, "--as", "bank2", "--scope", "npa", "--name", " padded ",
              "--id-type", "resident_id", "--id-number", "1")
    assert bad.returncode == 2 and "name" in bad.stderr
    bad = fae("person", "show", "--home", node.home, "--scope", "npa", "Qian Haifeng")
    assert bad.returncode == 2 and "commitment" in bad.stderr
