"""The model protocol: one request type, one result type, two methods (free text, structured JSON).

Backends (OpenAI SDK, LangChain, local llama.cpp) and wrappers (retry, limit, cache, recorder) all speak it,
so they compose: ``Recorder(Cache(Retry(Limit(backend))))``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Message = dict[str, str]
_TOKEN = re.compile(r"\w+|[^\w\s]")
SCHEMA_MARK = "JSON schema: "
_SECRET = re.compile(r"(sk|key|tok)-[A-Za-z0-9_\-]{8,}")


@dataclass(frozen=True)
class ModelRequest:
    """One call: chat ``messages``, an optional JSON ``schema`` (structured output), sampling settings.

    ``tags`` (game, player, day, phase, purpose) say on whose behalf the call is made; they are not part
    of the cache key, so the same prompt from another game hits the cache.
    """

    messages: tuple[Message, ...]
    schema: dict[str, Any] | None = None
    schema_name: str = "answer"
    temperature: float = 0.7
    seed: int | None = None
    max_tokens: int = 256
    tags: dict[str, Any] = field(default_factory=dict, compare=False)
    _keys: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def key(self, model: str) -> str:
        """SHA-256 of (model, messages, schema, temperature, seed, max_tokens): the response-cache key."""
        known = self._keys.get(model)
        if known is not None:
            return known
        payload = {
            "model": model,
            "messages": list(self.messages),
            "schema": self.schema,
            "schema_name": self.schema_name,
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
        }
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        self._keys[model] = digest = hashlib.sha256(canonical.encode()).hexdigest()
        return digest


@dataclass(frozen=True)
class Completion:
    """A model's answer: ``text`` (raw content), ``data`` (a JSON object from a structured route, if the
    backend parsed one), the ``route`` used, token usage (``reasoning_tokens``: the hidden reasoning a
    reasoning model spent, part of ``completion_tokens``), ``finish_reason`` as the server gave it
    (``"length"``: cut at the token limit; ``None`` if not reported), what served it (``served_model``: the
    model version the provider reports, ``system_fingerprint``; both ``None`` if not reported), and the
    measurements the wrappers fill in: ``cost_usd`` is what this call cost (``None``: price unknown; 0 for a
    cache hit), ``original_cost_usd`` what the call that produced the answer cost (a cache hit keeps it)."""

    text: str
    route: str = "text"
    data: dict[str, Any] | None = None
    refusal: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    finish_reason: str | None = None
    attempts: int = 1
    served_model: str | None = None
    system_fingerprint: str | None = None
    latency_ms: float = 0.0
    cost_usd: float | None = None
    original_cost_usd: float | None = None
    cache_hit: bool = False
    request_hash: str = ""


class ModelError(RuntimeError):
    """A call that failed for good. ``str()`` is one line without secrets; ``attempts`` counts tries."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(redact(message))
        self.status = status
        self.retry_after = retry_after
        self.param = param  # the request parameter a 400 names (e.g. max_tokens), if the server said
        self.attempts = 1


class TransientModelError(ModelError):
    """Worth retrying: 429, 5xx, timeouts, dropped connections (``retry_after`` from the server if sent)."""

    retryable = True


class UnsupportedRoute(ModelError):
    """The server rejected a structured-output method (json_schema, tools, json_object): try the next."""


class ModelConfigError(ValueError):
    """A model spec that cannot be used (unknown backend, missing key, missing package or file)."""


@runtime_checkable
class ChatModel(Protocol):
    """Two methods: free text, and a JSON object matching ``request.schema``."""

    name: str

    async def text(self, request: ModelRequest) -> Completion:
        """Free-text answer to ``request.messages``."""
        ...

    async def structured(self, request: ModelRequest) -> Completion:
        """An answer constrained (as far as the backend can) to ``request.schema``."""
        ...


#: Values of a model spec's ``reasoning_effort`` option (``default``: a reasoning model, effort not sent).
REASONING_EFFORTS = ("minimal", "low", "medium", "high", "default")
#: Room to think: the tokens a reasoning model's limit adds to the answer's own, by effort.
THINK_TOKENS = {"minimal": 512, "low": 1024, "medium": 2048, "high": 4096, "default": 2048}


def reasoning_effort(model: object) -> str | None:
    """The ``reasoning_effort`` of the backend under ``model``'s wrappers (``None``: not a reasoning
    model)."""
    for _ in range(16):
        if model is None:
            return None
        effort = getattr(model, "reasoning_effort", None)
        if isinstance(effort, str):
            return effort
        model = getattr(model, "inner", None) or getattr(model, "_backend", None)
    return None


def count_tokens(text: str) -> int:
    """A tokenizer-free token estimate (words and punctuation), used by the fake server and benchmarks."""
    return len(_TOKEN.findall(text))


def redact(text: str) -> str:
    """``text`` on one line, with anything that looks like an API key masked."""
    return _SECRET.sub("***", " ".join(str(text).split()))[:500]
