"""SQLite storage: one atomic transaction per block, versioned reads, and cache coherence."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from faechain.ledger.storage import BlockWrite, Store


def write(height: int, values: dict, executed=(), nodes=None, meta=None) -> BlockWrite:
    return BlockWrite(
        height=height, block_hash=bytes([height]) * 32, header=b"h%d" % height, app_hash=bytes(32),
        txs=[(i, h, b"env", b"rec") for i, (h, _) in enumerate(executed)],
        executed=[(h, i, e) for i, (h, e) in enumerate(executed)],
        events=[], values=dict(values), nodes=nodes or {}, index_del=[], index_add=[],
        meta={"head": b"%d" % height, **(meta or {})},
    )


@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path / "data" / "chain.db"))
    yield s
    s.close()


def test_versions_and_history(store):
    store.commit(write(0, {b"a/1": b"v0", b"a/2": b"x"}))
    store.commit(write(1, {b"a/1": b"v1"}))
    store.commit(write(2, {b"a/1": None}))
    assert store.get_value(b"a/1") is None
    assert store.get_value(b"a/1", 0) == b"v0"
    assert store.get_value(b"a/1", 1) == b"v1"
    assert store.get_value(b"a/1", 2) is None
    assert store.get_value(b"a/2", 2) == b"x"
    assert store.get_value(b"nope") is None
    assert store.history(b"a/1") == [(0, b"v0"), (1, b"v1"), (2, None)]
    assert store.meta("head") == b"2"
    assert store.block(1) == (bytes([1]) * 32, b"h1")
    assert list(store.all_heights()) == [0, 1, 2]


def test_scan_prefix_sees_latest_live_values(store):
    store.commit(write(0, {b"p/a": b"1", b"p/b": b"2", b"q/a": b"3", b"p\xff": b"4"}))
    store.commit(write(1, {b"p/a": b"5", b"p/b": None}))
    assert list(store.scan_prefix(b"p/")) == [(b"p/a", b"5")]
    assert list(store.scan_prefix(b"p/", height=0)) == [(b"p/a", b"1"), (b"p/b", b"2")]
    assert list(store.scan_prefix(b"p\xff")) == [(b"p\xff", b"4")]


def test_replay_guard_rows(store):
    store.commit(write(1, {}, executed=[(b"h1" * 16, 100), (b"h2" * 16, 5)]))
    assert store.has_tx(b"h1" * 16) and not store.has_tx(b"h3" * 16)
    assert store.unexpired_txs(50) == [(b"h1" * 16, 100)]
    assert store.tx(b"h2" * 16)[:2] == (1, 1)


def test_failed_commit_leaves_nothing(store):
    store.commit(write(0, {b"k": b"v"}))
    bad = write(1, {b"k": b"new"}, executed=[(b"d" * 32, 1), (b"d" * 32, 1)])  # duplicate hash: fails midway
    with pytest.raises(sqlite3.IntegrityError):
        store.commit(bad)
    assert store.block(1) is None
    assert store.get_value(b"k") == b"v"
    assert store.get_value(b"k", 1) == b"v"
    assert store.meta("head") == b"0"
    assert not store.has_tx(b"d" * 32)
    store.commit(write(1, {b"k": b"ok"}))  # the store is still usable
    assert store.get_value(b"k") == b"ok"


def test_reopen_sees_committed_data(tmp_path):
    path = str(tmp_path / "chain.db")
    s = Store(path)
    s.commit(write(0, {b"k": b"v"}, nodes={b"n" * 32: b"enc"}))
    s.close()
    s2 = Store(path)
    assert s2.get_value(b"k") == b"v" and s2.get_node(b"n" * 32) == b"enc" and s2.get_node(b"x" * 32) is None


class _RacingConnection:
    """Wraps a reader connection: right after a read of `key`, another block commits."""

    def __init__(self, conn, store, key, new_value):
        self.conn, self.store, self.key, self.new_value, self.armed = conn, store, key, new_value, True

    def execute(self, sql, args=()):
        cur = self.conn.execute(sql, args)
        if self.armed and args and args[0] == self.key:
            rows = cur.fetchall()
            self.armed = False
            t = threading.Thread(target=self.store.commit, args=(write(1, {self.key: self.new_value}),))
            t.start()
            t.join()
            return iter_cursor(rows)
        return cur

    def close(self):
        self.conn.close()


class iter_cursor:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows


def test_value_cache_is_not_poisoned_by_a_read_racing_a_commit(store):
    """A reader that fetched the old value just before a block committed must not leave
    that old value in the latest-value cache (every later reader would see stale state)."""
    store.commit(write(0, {b"k": b"old"}))
    store._value_cache.clear()
    store._local.conn = _RacingConnection(store.read, store, b"k", b"new")
    assert store.get_value(b"k") in (b"old", b"new")  # either is right at the moment of the read
    assert store.get_value(b"k") == b"new"  # but afterwards the cache must be current


def test_the_in_memory_caches_are_bounded(tmp_path, monkeypatch):
    """A long-running node must not keep every Merkle node and value it ever wrote."""
    from faechain.ledger import storage

    monkeypatch.setattr(storage, "NODE_CACHE_MAX", 100)
    cache = {bytes([i % 256, i // 256]): b"x" for i in range(1000)}
    storage._trim(cache, 100)
    assert len(cache) == 75
    assert bytes([999 % 256, 999 // 256]) in cache  # the newest are kept
    assert bytes([0, 0]) not in cache
    small = {b"a": b"1"}
    storage._trim(small, 100)
    assert small == {b"a": b"1"}
