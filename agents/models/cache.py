"""SQL response cache: a request's final result (answer or terminal error) by the hash of (model, messages,
schema, temperature, seed, max_tokens), so a game re-run from the cache logs identical events at no cost."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, exc, insert, select

from agents.models.base import ChatModel, Completion, ModelError, ModelRequest, TransientModelError
from agents.models.tables import ensure_tables, llm_cache

#: Completion fields that are measurements of one run, not part of the cached answer.
_MEASURED = ("latency_ms", "cost_usd", "cache_hit", "request_hash")


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


class Cached:
    """Serves repeated requests from a :class:`ResponseCache`; terminal errors are cached too, so a re-run
    takes exactly the same path (transient errors that were retried away leave only their attempt count)."""

    def __init__(self, inner: ChatModel, cache: ResponseCache) -> None:
        self.inner, self.name, self.cache = inner, inner.name, cache

    async def _run(self, method: str, request: ModelRequest) -> Completion:
        key = request.key(self.name)
        hit = await asyncio.to_thread(self.cache.get, key)
        if hit is not None:
            if "error" in hit:
                cls = TransientModelError if hit.get("retryable") else ModelError
                error = cls(hit["error"], status=hit.get("status"))
                error.attempts = hit.get("attempts", 1)
                error.cache_hit = True
                raise error
            return Completion(**hit, cache_hit=True, request_hash=key)
        try:
            result = await getattr(self.inner, method)(request)
        except ModelError as err:
            response = {
                "error": str(err),
                "status": err.status,
                "attempts": err.attempts,
                "retryable": err.retryable,
            }
            await asyncio.to_thread(self.cache.put, key, self.name, request, response)
            raise
        stored = {k: v for k, v in asdict(result).items() if k not in _MEASURED}
        await asyncio.to_thread(self.cache.put, key, self.name, request, stored)
        return Completion(**{**result.__dict__, "request_hash": key})

    async def text(self, request: ModelRequest) -> Completion:
        """Free text, from the cache when possible."""
        return await self._run("text", request)

    async def structured(self, request: ModelRequest) -> Completion:
        """Structured output, from the cache when possible."""
        return await self._run("structured", request)
