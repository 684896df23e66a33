"""Wrappers that compose around any :class:`ChatModel`: retry with backoff, and a concurrency limit."""

from __future__ import annotations

import asyncio
import random
import weakref
from collections.abc import Awaitable, Callable

from agents.models.base import ChatModel, Completion, ModelError, ModelRequest


class Retry:
    """Retries transient failures (429, 5xx, timeouts) with exponential backoff and full jitter; a server's
    Retry-After wins over the backoff. Jitter comes from a generator seeded by the request (no global RNG).
    ``sleep`` is injectable for tests."""

    def __init__(
        self,
        inner: ChatModel,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.inner, self.name = inner, inner.name
        self.max_attempts, self.base_delay, self.max_delay = max_attempts, base_delay, max_delay
        self.sleep = sleep

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before try ``attempt + 1``."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_delay) * (1 + 0.1 * rng.random())
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    async def _run(self, method: str, request: ModelRequest) -> Completion:
        rng = random.Random(request.key(self.name))
        for attempt in range(1, self.max_attempts + 1):
            try:
                result = await getattr(self.inner, method)(request)
            except ModelError as exc:
                exc.attempts = attempt
                if not exc.retryable or attempt == self.max_attempts:
                    raise
                await self.sleep(self.delay(attempt, exc.retry_after, rng))
                continue
            return Completion(**{**result.__dict__, "attempts": attempt})
        raise AssertionError("unreachable")

    async def text(self, request: ModelRequest) -> Completion:
        """Free text, retried."""
        return await self._run("text", request)

    async def structured(self, request: ModelRequest) -> Completion:
        """Structured output, retried."""
        return await self._run("structured", request)


class Limit:
    """At most ``limit`` calls in flight per event loop, shared by every agent holding this wrapper."""

    def __init__(self, inner: ChatModel, limit: int = 32) -> None:
        self.inner, self.name, self.limit = inner, inner.name, limit
        self._sems: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _sem(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sems.get(loop)
        if sem is None:
            sem = self._sems[loop] = asyncio.Semaphore(self.limit)
        return sem

    async def text(self, request: ModelRequest) -> Completion:
        """Free text, once a slot is free."""
        async with self._sem():
            return await self.inner.text(request)

    async def structured(self, request: ModelRequest) -> Completion:
        """Structured output, once a slot is free."""
        async with self._sem():
            return await self.inner.structured(request)
