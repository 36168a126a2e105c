"""The simulators' records without HTTP or a chain: every call that moves money is idempotent by its
reference, a short balance collects in part and declines a reservation, and the adapter loader and
the CLI give one-line errors a person can act on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from faechain.adapters.services import AdapterError, load_adapter
from faechain.adapters.tax_http import TaxHttpAdapter
from faechain.devnet.simulators.base import SimulatorError, open_db
from faechain.devnet.simulators.rail import SCHEMA, RailSimulator


@pytest.fixture
def rail(tmp_path):
    sim = RailSimulator(open_db(str(tmp_path / "rail.sqlite"), SCHEMA))
    sim.open_account({"account": "A", "balance": 1_000}, {}, {})
    sim.open_account({"account": "B"}, {}, {})
    return sim


def balance(sim: RailSimulator, account: str) -> tuple[int, int]:
    a = sim.account(account)
    return a["balance"], a["reserved"]


def test_a_collection_takes_what_the_payer_has_once_per_reference(rail):
    first = rail.collect({"account": "A", "amount": 1_500, "reference": "R1@9"}, {}, {})[1]
    again = rail.collect({"account": "A", "amount": 1_500, "reference": "R1@9"}, {}, {})[1]
    assert first["collected"] == 1_000 and again["collected"] == 1_000 and again["rail_ref"] == first["rail_ref"]
    assert balance(rail, "A") == (0, 0)


def test_a_payout_is_made_once_per_instruction_and_fails_for_an_unknown_account(rail):
    for _ in range(2):
        assert rail.payout({"account": "B", "amount": 300, "reference": "I-1"}, {}, {})[1]["ok"]
    assert balance(rail, "B") == (300, 0)
    failed = rail.payout({"account": "NOPE", "amount": 300, "reference": "I-2"}, {}, {})[1]
    assert not failed["ok"] and "no account NOPE" in failed["reason"]


def test_a_reservation_is_settled_or_released_once_and_declined_when_short(rail):
    assert rail.reserve({"account": "A", "amount": 400, "reference": "C-1"}, {}, {})[1]["ok"]
    assert balance(rail, "A") == (600, 400)
    declined = rail.reserve({"account": "A", "amount": 700, "reference": "C-2"}, {}, {})[1]
    assert not declined["ok"] and "insufficient balance: 600 fen available" in declined["reason"]
    for _ in range(2):
        assert rail.settle({"account": "B"}, {"reference": "C-1"}, {})[1]["ok"]
    assert balance(rail, "A") == (600, 0) and balance(rail, "B") == (400, 0)
    assert not rail.release({}, {"reference": "C-1"}, {})[1]["ok"]  # settled: nothing to release
    assert rail.reserve({"account": "A", "amount": 100, "reference": "C-3"}, {}, {})[1]["ok"]
    for _ in range(2):
        assert rail.release({}, {"reference": "C-3"}, {})[1]["ok"]
    assert balance(rail, "A") == (600, 0)


def test_bad_input_is_refused_with_a_stable_code_and_nothing_changes(rail):
    with pytest.raises(SimulatorError) as exc:
        rail.collect({"account": "A", "amount": -5, "reference": "R"}, {}, {})
    assert exc.value.code == "bad_request" and "whole number of fen" in exc.value.message
    with pytest.raises(SimulatorError) as exc:
        rail.open_account({"account": "A"}, {}, {})
    assert exc.value.code == "duplicate"
    assert balance(rail, "A") == (1_000, 0)


def test_the_adapter_loader_names_what_is_wrong():
    assert isinstance(load_adapter("faechain.adapters.tax_http:TaxHttpAdapter", {"url": "http://x"}), TaxHttpAdapter)
    for spec, message in [("no_colon", "package.module:Class"), ("no.such.module:X", "cannot import"),
                          ("faechain.adapters.tax_http:Nope", "has no Nope")]:
        with pytest.raises(AdapterError, match=message):
            load_adapter(spec, {})
    with pytest.raises(AdapterError, match="cannot make one"):
        load_adapter("faechain.adapters.tax_http:TaxHttpAdapter", {"colour": "red"})


def test_fae_attestor_run_reports_a_bad_adapter_in_one_line(tmp_path):
    from faechain.devnet.demo import create_demo

    home = str(tmp_path / "home")
    create_demo(home, 18999)
    done = subprocess.run([sys.executable, "-m", "faechain", "attestor", "run", "--service", "tax", "--adapter",
                           "nowhere:Adapter", "--home", home, "--identity", "taxservice"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("fae: error: --adapter 'nowhere:Adapter': cannot import")
    done = subprocess.run([sys.executable, "-m", "faechain", "simulator", "tax", "--home", home, "--port", "1",
                           "--identity", "nobody"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no identity 'nobody'" in done.stderr
