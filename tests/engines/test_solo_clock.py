"""A dev chain's advanced clock survives an engine restart (block time and the signing clock agree)."""

from __future__ import annotations

import time

from faechain.engines.solo import SoloEngine

DAY_MS = 86_400_000


def test_an_advanced_dev_clock_carries_on_after_a_restart(chain):
    first = SoloEngine(chain.app, block_interval=0.002, heartbeat=3600)
    first.start()
    try:
        first.advance_time(3 * 86_400)
        deadline = time.monotonic() + 10
        while chain.app.last_time < time.time() * 1000 + 2 * DAY_MS and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        first.stop()
    assert chain.app.last_time > time.time() * 1000 + 2 * DAY_MS  # the forced block took the advanced time
    second = SoloEngine(chain.app, block_interval=0.002, heartbeat=3600)
    assert second.now_ms() > chain.app.last_time  # not back at the wall clock, stuck behind the last block
    assert second.time_offset_ms > 2 * DAY_MS


def test_a_clock_that_was_never_advanced_starts_at_the_wall_clock(chain):
    assert SoloEngine(chain.app).time_offset_ms == 0
