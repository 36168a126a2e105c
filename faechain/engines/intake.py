"""Submission intake shared by the engines: queue, admission futures, batches.

A submitted envelope waits in the intake queue with two futures: its check result
and (if the submitter waits) its receipt. The engine's checking thread takes what
has arrived, up to `check_batch`, and checks it as one batch, so that under load
signatures are verified together on every core. What happens after the check
(the solo mempool, a CometBFT broadcast) is the engine's own business.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import threading

from faechain.chain.engine import Submission
from faechain.chain.results import CheckResult

Entry = tuple[bytes, cf.Future, "cf.Future | None"]  # (raw envelope, check future, receipt future)


class Intake:
    """The engines' common front: `submit_async`, `submit` and batched takes."""

    check_batch: int = 512
    max_pending: int = 50_000

    def _init_intake(self, check_batch: int, max_pending: int) -> None:
        self.check_batch = check_batch
        self.max_pending = max_pending
        self._intake: collections.deque[Entry] = collections.deque()
        self._intake_cv = threading.Condition()
        self._stop = False

    # provided by the engine
    @property
    def error(self) -> BaseException | None:
        """Why the engine stopped, None while it runs: submissions are refused `unavailable`."""
        raise NotImplementedError

    @property
    def mempool_size(self) -> int:
        """Submissions not yet committed: beyond `max_pending` they are refused `mempool_full`."""
        raise NotImplementedError

    def submit_async(self, raw: bytes, wait: bool = True) -> tuple[cf.Future, cf.Future | None]:
        """Queue for checking: (future CheckResult, future Receipt or None)."""
        check: cf.Future = cf.Future()
        receipt: cf.Future | None = cf.Future() if wait else None
        if self.error is not None:
            check.set_result(CheckResult("unavailable", "the engine has stopped after an error"))
        elif self.mempool_size >= self.max_pending:
            check.set_result(CheckResult("mempool_full", "the mempool is full; retry later"))
        else:
            with self._intake_cv:
                self._intake.append((raw, check, receipt))
                self._intake_cv.notify()
        return check, receipt

    def submit(self, raw: bytes, wait: bool = True) -> Submission:
        """check (blocking), then the future resolves when the block commits."""
        check, receipt = self.submit_async(raw, wait)
        result = check.result()
        return Submission(result, receipt if result.ok else None)

    def _take_batch(self, poll: float | None = None) -> list[Entry] | None:
        """Wait for submissions and take up to `check_batch` of them; None once stopping
        (what is still queued is then answered `unavailable`)."""
        with self._intake_cv:
            while not self._intake and not self._stop:
                self._intake_cv.wait(poll)
            if self._stop:
                while self._intake:
                    _, check, _ = self._intake.popleft()
                    if not check.done():
                        check.set_result(CheckResult("unavailable", "the node is shutting down"))
                return None
            return [self._intake.popleft() for _ in range(min(self.check_batch, len(self._intake)))]

    def _spawn(self, *loops: tuple) -> list[threading.Thread]:
        """Start each (target, thread name) as a daemon thread."""
        threads = [threading.Thread(target=target, name=name, daemon=True) for target, name in loops]
        for t in threads:
            t.start()
        return threads

    def _wake_intake(self) -> None:
        with self._intake_cv:
            self._intake_cv.notify_all()
