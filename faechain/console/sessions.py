"""Console sessions: a server-side table keyed by a random token held in an HttpOnly cookie.

A session names one wallet identity of the node (its key stays in the node process),
carries a CSRF token that every state-changing console request must echo in the
`X-Fae-CSRF` header, and expires after `idle` seconds without use or `lifetime`
seconds in all. Transactions the console has signed but not yet submitted wait in
their session (`prepared`) until the member confirms them or they expire.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from faechain.identity.wallet import Identity

COOKIE = "fae_console"
CSRF_HEADER = "X-Fae-CSRF"
IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 8 * 3600
MAX_SESSIONS = 1000
MAX_PREPARED = 50


@dataclass
class Session:
    token: str
    csrf: str
    identity: Identity  # key included; never serialised
    created: float
    seen: float
    prepared: dict[str, tuple[bytes, float]] = field(default_factory=dict)  # tx hash hex -> (envelope, expiry)

    @property
    def name(self) -> str:
        return self.identity.name


class SessionTable:
    def __init__(self, idle: float = IDLE_SECONDS, lifetime: float = LIFETIME_SECONDS,
                 clock=time.monotonic):
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def _expired(self, s: Session, now: float) -> bool:
        return now - s.seen > self.idle or now - s.created > self.lifetime

    def create(self, identity: Identity) -> Session:
        now = self.clock()
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(24), identity, now, now)
        with self._lock:
            for token in [t for t, old in self._sessions.items() if self._expired(old, now)]:
                del self._sessions[token]
            if len(self._sessions) >= MAX_SESSIONS:  # drop the least recently used
                oldest = min(self._sessions.values(), key=lambda x: x.seen)
                del self._sessions[oldest.token]
            self._sessions[s.token] = s
        return s

    def get(self, token: str | None) -> Session | None:
        """The live session of `token` (its idle timer restarts), or None."""
        if not token:
            return None
        now = self.clock()
        with self._lock:
            s = self._sessions.get(token)
            if s is None:
                return None
            if self._expired(s, now):
                del self._sessions[token]
                return None
            s.seen = now
            return s

    def delete(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def __len__(self) -> int:
        return len(self._sessions)

    # -- transactions signed and waiting for the member's confirmation -------------------
    def hold(self, s: Session, tx_hash: str, envelope: bytes, expires_s: float) -> None:
        with self._lock:
            now = self.clock()
            for h in [h for h, (_, exp) in s.prepared.items() if exp < now]:
                del s.prepared[h]
            while len(s.prepared) >= MAX_PREPARED:
                s.prepared.pop(next(iter(s.prepared)))
            s.prepared[tx_hash] = (envelope, now + expires_s)

    def take(self, s: Session, tx_hash: str) -> bytes | None:
        with self._lock:
            item = s.prepared.pop(tx_hash, None)
        if item is None or item[1] < self.clock():
            return None
        return item[0]
