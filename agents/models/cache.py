"""SQL response cache: a request's answer by the hash of (model, messages, schema, temperature, seed,
max_tokens), so a game re-run from the cache logs identical events at no cost.

Only answers are stored (an answer the agent cannot parse is still an answer: the HTTP call succeeded);
errors never are, so a re-run after a server recovered asks again. Each entry keeps what served it
(``served_model``, ``system_fingerprint``) and what the call cost (``cost_usd``, ``null`` if the price was
unknown), which a cache hit reports as its ``original_cost_usd``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, exc, insert, select

from agents.models.base import ChatModel, Completion, ModelRequest
from agents.models.prices import Price, cost_of
from agents.models.tables import ensure_tables, llm_cache

#: Completion fields that are measurements of one run, not part of the cached answer.
_MEASURED = ("latency_ms", "cost_usd", "original_cost_usd", "cache_hit", "request_hash")
_ANSWER = tuple(f for f in Completion.__dataclass_fields__ if f not in _MEASURED)


class ResponseCache:
    """The ``llm_cache`` table on ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = ensure_tables(engine)

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored response for ``key``, or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(select(llm_cache.c.response).where(llm_cache.c.request_hash == key)).first()
        return json.loads(row[0]) if row else None

    def put(self, key: str, model: str, request: ModelRequest, response: dict[str, Any]) -> None:
        """Store a response (a concurrent identical insert is ignored)."""
        body = {"messages": list(request.messages), "schema": request.schema, "seed": request.seed}
        row = {
            "request_hash": key,
            "model": model,
            "request": json.dumps(body, ensure_ascii=False),
            "response": json.dumps(response, ensure_ascii=False),
            "created_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(llm_cache), [row])
        except exc.IntegrityError:
            pass

    def forget(self, key: str) -> None:
        """Delete the entry for ``key`` (an error that an earlier version cached)."""
        with self.engine.begin() as conn:
            conn.execute(delete(llm_cache).where(llm_cache.c.request_hash == key))


class Cached:
    """Serves repeated requests from a :class:`ResponseCache`. Stores answers only, with what the call cost
    at ``price`` (USD per million input, cached-input, output tokens; ``None``: unknown). Errors pass through
    uncached; an error entry left by an earlier version is dropped and the request asked again."""

    def __init__(self, inner: ChatModel, cache: ResponseCache, price: Price | None = None) -> None:
        self.inner, self.name, self.cache, self.price = inner, inner.name, cache, price

    async def _run(self, method: str, request: ModelRequest) -> Completion:
        key = request.key(self.name)
        hit = await asyncio.to_thread(self.cache.get, key)
        if hit is not None and "error" in hit:
            await asyncio.to_thread(self.cache.forget, key)
            hit = None
        if hit is not None:
            answer = {k: v for k, v in hit.items() if k in _ANSWER}
            if "cost_usd" in hit:
                original = hit["cost_usd"]
            else:  # stored before costs were: what these tokens cost at today's price
                original = cost_of(
                    self.price,
                    answer.get("prompt_tokens", 0),
                    answer.get("cached_tokens", 0),
                    answer.get("completion_tokens", 0),
                )
            return Completion(**answer, original_cost_usd=original, cache_hit=True, request_hash=key)
        result = await getattr(self.inner, method)(request)
        cost = cost_of(self.price, result.prompt_tokens, result.cached_tokens, result.completion_tokens)
        stored = {k: v for k, v in asdict(result).items() if k not in _MEASURED}
        stored["cost_usd"] = cost
        await asyncio.to_thread(self.cache.put, key, self.name, request, stored)
        return Completion(**{**result.__dict__, "request_hash": key})

    async def text(self, request: ModelRequest) -> Completion:
        """Free text, from the cache when possible."""
        return await self._run("text", request)

    async def structured(self, request: ModelRequest) -> Completion:
        """Structured output, from the cache when possible."""
        return await self._run("structured", request)
