"""Deadlines a contract's `end_block` must act on: due times kept in per-day buckets.

A contract that has to do something when block time passes a deadline (a
disclosure falls overdue, an auction closes, a winner's payment window ends)
cannot scan its records every block. It files each deadline in the bucket of its
China-time day (`due/<day>` under the contract, a list of `[due, *entry]`), and
each block `take(now)` reads the cursor (the first day not yet settled) and the
buckets from there to today: O(deadlines due) work, two reads when nothing is.
Days that are over are emptied and the cursor moves past them; at most
`MAX_CATCH_UP` days are walked per block, so a chain restarted after a long pause
catches up over a few blocks instead of in one huge one.
"""

from __future__ import annotations

from typing import Any

from faechain.contracts.runtime import ContractState

DAY = 86_400
CST = 8 * 3600  # days are China Standard Time days (UTC+8)
MAX_CATCH_UP = 31


def day_of(t: int) -> int:
    return (t + CST) // DAY


class Deadlines:
    def __init__(self, state: ContractState, prefix: str = "due", cursor_key: str = "cursor"):
        self.state = state
        self.prefix = prefix
        self.cursor_key = cursor_key

    def add(self, due: int, *entry: Any) -> None:
        """File `entry` to be returned by the first `take(now)` with now >= due."""
        key = f"{self.prefix}/{day_of(due)}"
        self.state.put(key, self.state.get(key, []) + [[due, *entry]])

    def take(self, now: int) -> list[list[Any]]:
        """Every filed `[due, *entry]` with due <= now, in bucket order; removed from the buckets."""
        today = day_of(now)
        cursor = self.state.get(self.cursor_key)
        if cursor is None:  # the first block that looks: nothing can have been filed for earlier days
            cursor = today
            self.state.put(self.cursor_key, cursor)
        taken: list[list[Any]] = []
        for day in range(cursor, min(today, cursor + MAX_CATCH_UP) + 1):
            key = f"{self.prefix}/{day}"
            bucket = self.state.get(key)
            if bucket:
                waiting = [e for e in bucket if e[0] > now]
                taken.extend(e for e in bucket if e[0] <= now)
                if len(waiting) != len(bucket):
                    if waiting:
                        self.state.put(key, waiting)
                    else:
                        self.state.delete(key)
            if day < today and day == cursor:
                cursor = day + 1
                self.state.put(self.cursor_key, cursor)
        return taken
