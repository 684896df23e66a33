"""The recorder: one ``model_calls`` row per call (tokens, latency, cost, attempts, outcome, cache hit),
tagged with the game, player, day, phase and purpose carried in ``ModelRequest.tags``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from agents.models.base import ChatModel, Completion, ModelError, ModelRequest
from agents.models.tables import ensure_tables, model_calls

#: USD per million tokens: (input, cached input, output). Override per recorder or extend this table.
PRICES: dict[str, tuple[float, float, float]] = {
    "gpt-4o-mini": (0.15, 0.075, 0.60),
    "gpt-4o": (2.50, 1.25, 10.00),
    "gpt-4.1-mini": (0.40, 0.10, 1.60),
    "gpt-4.1": (2.00, 0.50, 8.00),
    "deepseek-chat": (0.27, 0.07, 1.10),
    "deepseek-v3": (0.27, 0.07, 1.10),
}


def cost_usd(
    model: str, prompt: int, cached: int, completion: int, prices: Mapping[str, Any] = PRICES
) -> float:
    """Cost of one call; the price key is the model name without its backend prefix (0 if unknown)."""
    key = model.rsplit(":", 1)[-1].split("?", 1)[0]
    price = prices.get(key)
    if price is None:
        return 0.0
    inp, cached_inp, out = price
    return ((prompt - cached) * inp + cached * cached_inp + completion * out) / 1e6


class Recorder:
    """Records every call that passes through it into ``model_calls`` on ``engine``; fills ``cost_usd``,
    ``latency_ms`` and ``request_hash`` on the returned :class:`Completion`. Never sees an API key."""

    def __init__(
        self, inner: ChatModel, engine: Engine | None, prices: Mapping[str, Any] | None = None
    ) -> None:
        self.inner, self.name = inner, inner.name
        self.engine = ensure_tables(engine) if engine is not None else None
        self.prices = PRICES if prices is None else prices

    async def _run(self, method: str, request: ModelRequest) -> Completion:
        started = time.perf_counter()
        key = request.key(self.name)
        try:
            result = await getattr(self.inner, method)(request)
        except ModelError as err:
            latency = (time.perf_counter() - started) * 1000
            await asyncio.to_thread(self._write, request, key, None, latency, err.attempts, err.cache_hit)
            raise
        latency = (time.perf_counter() - started) * 1000
        cost = 0.0
        if not result.cache_hit:
            cost = cost_usd(
                self.name, result.prompt_tokens, result.cached_tokens, result.completion_tokens, self.prices
            )
        result = Completion(
            **{**result.__dict__, "latency_ms": latency, "cost_usd": cost, "request_hash": key}
        )
        await asyncio.to_thread(self._write, request, key, result, latency, result.attempts)
        return result

    def _write(
        self,
        request: ModelRequest,
        key: str,
        result: Completion | None,
        latency: float,
        attempts: int,
        hit: bool = False,
    ) -> None:
        if self.engine is None:
            return
        tags = request.tags
        row = {
            "game_id": tags.get("game_id"),
            "player": tags.get("player"),
            "day": tags.get("day"),
            "phase": tags.get("phase"),
            "purpose": tags.get("purpose"),
            "model": self.name,
            "prompt_tokens": result.prompt_tokens if result else 0,
            "completion_tokens": result.completion_tokens if result else 0,
            "cached_tokens": result.cached_tokens if result else 0,
            "latency_ms": latency,
            "cost_usd": result.cost_usd if result else 0.0,
            "attempts": attempts,
            "outcome": "error" if result is None else ("retried" if attempts > 1 else "ok"),
            "cache_hit": bool(result.cache_hit if result else hit),
            "request_hash": key,
            "created_at": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            conn.execute(insert(model_calls), [row])

    async def text(self, request: ModelRequest) -> Completion:
        """Free text, recorded."""
        return await self._run("text", request)

    async def structured(self, request: ModelRequest) -> Completion:
        """Structured output, recorded."""
        return await self._run("structured", request)
