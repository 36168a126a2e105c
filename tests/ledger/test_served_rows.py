"""A running node never serves a damaged block row: a header, transaction, receipt or event
that is not what its block commits to fails the request with 500 `storage_damaged` (or an
`error` event on a stream) and the node stops taking transactions.

Before faechain.ledger.served, a flipped field of a stored transaction was served under
the original hash with receipt `ok`, and an undecodable header gave `500 internal` while
the node kept taking transactions.
"""

from __future__ import annotations

import pytest
from test_tamper import org
from test_tamper_startup import config, home, one, sql, template  # noqa: F401 - fixtures

from faechain.core.block import Header
from faechain.node.testing import NodeThread, free_port
from faechain.sdk import ApiError, Client, Identity

HEIGHT = 1  # an old block: the startup check looks at the head only


def flip_tx_field(node_home: str) -> None:
    envelope = one(node_home, "SELECT envelope FROM txs WHERE height=? AND idx=0", HEIGHT)[0]
    assert b"round" in envelope
    sql(node_home, "UPDATE txs SET envelope=? WHERE height=? AND idx=0", envelope.replace(b"round", b"roune"), HEIGHT)


def flip_receipt(node_home: str) -> None:
    receipt = one(node_home, "SELECT receipt FROM txs WHERE height=? AND idx=0", HEIGHT)[0]
    assert b"ok" in receipt
    sql(node_home, "UPDATE txs SET receipt=? WHERE height=? AND idx=0", receipt.replace(b"ok", b"no", 1), HEIGHT)


def flip_header_field(node_home: str) -> None:
    raw = one(node_home, "SELECT header FROM blocks WHERE height=?", HEIGHT)[0]
    header = Header.decode(raw)
    forged = Header(**{**header.to_map(), "time": header.time + 1})
    sql(node_home, "UPDATE blocks SET header=? WHERE height=?", forged.encode(), HEIGHT)


def undecodable_header(node_home: str) -> None:
    sql(node_home, "UPDATE blocks SET header=? WHERE height=?", b"\xff\xfe not a header", HEIGHT)


def flip_event_type(node_home: str) -> None:
    assert sql(node_home, "UPDATE events SET type='Forged' WHERE height=? AND idx=0 AND n=0", HEIGHT) == 1


def tx_hash(node_home: str) -> str:
    return one(node_home, "SELECT hash FROM txs WHERE height=? AND idx=0", HEIGHT)[0].hex()


def read_tx(client: Client, node_home: str) -> None:
    client.tx(tx_hash(node_home))


def read_block(client: Client, node_home: str) -> None:
    client.block(HEIGHT)


def read_events(client: Client, node_home: str) -> None:
    stream = client.events(from_height=HEIGHT, blocks=True, timeout=30)
    try:
        for item in stream:
            if item.get("event") == "block" and item.get("height", 0) >= HEIGHT + 1:
                break
    finally:
        stream.close()


CASES = {
    "a flipped field of a transaction, by hash": (flip_tx_field, read_tx, "txs"),
    "a flipped field of a transaction, in its block": (flip_tx_field, read_block, "txs"),
    "a flipped receipt": (flip_receipt, read_tx, "txs"),
    "a flipped header field": (flip_header_field, read_block, "blocks"),
    "an undecodable header": (undecodable_header, read_block, "blocks"),
    "an undecodable header, under a transaction": (undecodable_header, read_tx, "blocks"),
    "a flipped event type, on the event stream": (flip_event_type, read_events, "events"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_damaged_block_row_is_never_served(home, case):  # noqa: F811 - the fixture
    damage, read, table = CASES[case]
    nt = NodeThread(home, config(home, port=free_port(), heartbeat=3600.0))
    node = nt.start()
    try:
        ident = Identity.load(home, "exchange")
        client = Client(node.url, identity=ident, timeout=20)
        h = node.app.height
        assert h > HEIGHT + 1
        damage(home)
        with pytest.raises(ApiError) as info:
            read(client, home)
        assert info.value.code == "storage_damaged", info.value
        assert f"{table} height {HEIGHT}" in info.value.message, info.value.message
        # the node stops taking transactions and says so
        with pytest.raises(ApiError) as info:
            client.submit(ident, "membership", "set_attributes", org_id=org("investor4"), attributes={"late": 1})
        assert info.value.code == "unavailable", info.value
        status, doc = client._call("GET", "/healthz")
        assert status == 503 and doc["ok"] is False
        assert node.app.height == h
    finally:
        nt.stop()


def test_undamaged_old_blocks_are_served_and_checked_once(home):  # noqa: F811 - the fixture
    nt = NodeThread(home, config(home, port=free_port(), heartbeat=3600.0))
    node = nt.start()
    try:
        client = Client(node.url, identity=Identity.load(home, "exchange"), timeout=20)
        for height in range(0, node.app.height + 1):
            doc = client.block(height)
            assert doc["height"] == height
            for tx in doc["txs"]:
                if tx["code"] == "ok":
                    assert client.tx(tx["hash"])["height"] == height
        checker = node.store.check_rows
        assert checker is not None
        assert checker.block(HEIGHT) is checker.block(HEIGHT)  # remembered, not re-checked
    finally:
        nt.stop()
