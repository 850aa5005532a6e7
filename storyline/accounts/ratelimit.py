"""Sign-in rate limiting: at most ``attempts`` failures per key (the client address, and
the account name) in a sliding ``window``; a success clears the account's count. Kept
in memory, per server process."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, attempts: int, window: float, *, max_keys: int = 100_000) -> None:
        self.attempts = attempts
        self.window = window
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            self._failures.pop(key, None)
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds until a key of ``keys`` may try again; 0 when all may now."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.attempts:
                    wait = max(wait, self.window - (now - q[0]))
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._failures.clear()  # a flood of keys: forget rather than grow
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
