"""The games-in-flight limit of one chunk, which backs off when model calls are being retried (429s).

Each stored phase tells the gate how many model calls it made and how many needed retries (a 429 or another
transient error). Like TCP's congestion window (AIMD): a phase with retries halves the limit — at most once
per ``limit`` observed phases, so one burst of 429s seen by many games at once counts once — and every
``limit`` clean phases add one game back, up to the ceiling. Games already running are never paused; the
limit decides when the next game may start. The model stacks' own retries honour ``Retry-After`` meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType


class AdaptiveGate:
    """At most ``limit`` games in flight; ``limit`` moves between 1 and ``ceiling`` (AIMD)."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = self.limit = self.lowest = max(1, ceiling)
        self.active = 0
        self.backoffs = 0
        self._clean = 0
        self._since_cut = self.limit
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> AdaptiveGate:
        if self.active < self.limit and not self._waiters:
            self.active += 1
            return self
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.active -= 1  # admitted just as we were cancelled: give the slot back
                self._wake()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.active -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.active < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.active += 1
                waiter.set_result(None)

    def observe(self, calls: int, retried: int) -> bool:
        """Account one stored phase; returns True when the limit was cut."""
        if calls == 0:
            return False
        self._since_cut += 1
        if retried:
            self._clean = 0
            if self._since_cut >= self.limit and self.limit > 1:
                self.limit = max(1, self.limit // 2)
                self.lowest = min(self.lowest, self.limit)
                self.backoffs += 1
                self._since_cut = 0
                return True
            return False
        self._clean += 1
        if self._clean >= self.limit and self.limit < self.ceiling:
            self.limit += 1
            self._clean = 0
            self._wake()
        return False
