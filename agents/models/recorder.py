"""The recorder: measures every call (latency, cost, cache hit, what served it) and hands the measurement
to the :class:`~agents.models.calllog.CallLog` of its database, which writes the ``model_calls`` row when
the call's ``ModelCall`` event is stored. Calls are tagged with the game, player, day, phase and purpose
carried in ``ModelRequest.tags``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine

from agents.models.base import ChatModel, Completion, ModelError, ModelRequest
from agents.models.calllog import CallLog
from agents.models.prices import PRICES, Price, cost_of, cost_usd, price_of
from agents.models.tables import ensure_tables

__all__ = ["PRICES", "Recorder", "cost_usd"]


class Recorder:
    """Measures every call that passes through it and fills ``latency_ms``, ``cost_usd`` (0 for a cache
    hit, ``None`` when the price is unknown) and ``request_hash`` on the returned :class:`Completion`.
    ``price`` (USD per million input, cached-input, output tokens) defaults to ``prices`` (or
    :data:`PRICES`) by the model's name. With an ``engine``, the measurements go to its :class:`CallLog`.
    Never sees an API key."""

    def __init__(
        self,
        inner: ChatModel,
        engine: Engine | None,
        prices: Mapping[str, Price] | None = None,
        *,
        price: Price | None = None,
    ) -> None:
        self.inner, self.name = inner, inner.name
        self.price = price if price is not None else price_of(self.name, PRICES if prices is None else prices)
        self.log = CallLog.for_engine(ensure_tables(engine)) if engine is not None else None

    async def _run(self, method: str, request: ModelRequest) -> Completion:
        started = time.perf_counter()
        key = request.key(self.name)
        try:
            result = await getattr(self.inner, method)(request)
        except ModelError:
            self._measure(request, key, (time.perf_counter() - started) * 1000, cost_of(self.price, 0, 0, 0))
            raise
        latency = (time.perf_counter() - started) * 1000
        if result.cache_hit:
            cost, original = 0.0, result.original_cost_usd
        else:
            tokens = (result.prompt_tokens, result.cached_tokens, result.completion_tokens)
            cost = original = cost_of(self.price, *tokens)
        result = Completion(
            **{
                **result.__dict__,
                "latency_ms": latency,
                "cost_usd": cost,
                "original_cost_usd": original,
                "request_hash": key,
            }
        )
        self._measure(request, key, latency, cost, result)
        return result

    def _measure(
        self,
        request: ModelRequest,
        key: str,
        latency: float,
        cost: float | None,
        result: Completion | None = None,
    ) -> None:
        if self.log is None:
            return
        tags = request.tags
        self.log.measure(
            tags.get("game_id"),
            tags.get("player"),
            key,
            latency_ms=latency,
            cost_usd=cost,
            original_cost_usd=result.original_cost_usd if result else cost,
            cache_hit=bool(result and result.cache_hit),
            served_model=result.served_model if result else None,
            system_fingerprint=result.system_fingerprint if result else None,
            created_at=datetime.now(UTC),
        )

    async def text(self, request: ModelRequest) -> Completion:
        """Free text, measured."""
        return await self._run("text", request)

    async def structured(self, request: ModelRequest) -> Completion:
        """Structured output, measured."""
        return await self._run("structured", request)
