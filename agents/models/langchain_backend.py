"""``langchain:PROVIDER:MODEL`` (built with ``init_chat_model``) or any LangChain chat model instance.

Structured output goes through ``with_structured_output(..., include_raw=True)``: json_schema, then
function calling, then json mode; the raw message's content or tool-call arguments are returned as text,
and parsing (lenient, with corrections) stays with the agent, as for every backend. The schema goes
without the keywords OpenAI's strict mode refuses (``maxLength``, ``minLength``). With ``reasoning_effort``
the chat model is a reasoning model's: no temperature, and the effort set when the model has the field.
"""

from __future__ import annotations

import json
import time
from typing import Any

from agents.models.base import (
    REASONING_EFFORTS,
    Completion,
    ModelConfigError,
    ModelError,
    ModelRequest,
    UnsupportedRoute,
)
from agents.models.openai_backend import map_error, schema_instruction, without_lengths

LC_ROUTES = {"json_schema": "json_schema", "tools": "function_calling", "json_object": "json_mode"}


def _messages(request: ModelRequest, instruction: bool = False) -> list[tuple[str, str]]:
    roles = {"system": "system", "user": "human", "assistant": "ai"}
    out = [(roles[m["role"]], m["content"]) for m in request.messages]
    if instruction and request.schema is not None:
        role, content = out[-1]
        out[-1] = (role, content + "\n" + schema_instruction(request.schema))
    return out


def _usage(message: Any) -> dict[str, Any]:
    """Token usage and what served the answer (``response_metadata``'s ``model_name`` and
    ``system_fingerprint``, when the provider reports them)."""
    meta = getattr(message, "usage_metadata", None) or {}
    details = meta.get("input_token_details") or {}
    out_details = meta.get("output_token_details") or {}
    served = getattr(message, "response_metadata", None) or {}
    return {
        "prompt_tokens": int(meta.get("input_tokens", 0) or 0),
        "completion_tokens": int(meta.get("output_tokens", 0) or 0),
        "cached_tokens": int(details.get("cache_read", 0) or 0),
        "reasoning_tokens": int(out_details.get("reasoning", 0) or 0),
        "finish_reason": served.get("finish_reason") or None,
        "served_model": served.get("model_name") or served.get("model") or None,
        "system_fingerprint": served.get("system_fingerprint") or None,
    }


class LangChainBackend:
    """Wraps a LangChain ``BaseChatModel``. Its own retries should be off (the Retry wrapper owns them).
    ``length_limits`` keeps ``maxLength``/``minLength`` in schemas (for servers that honour them)."""

    def __init__(
        self,
        chat_model: Any,
        label: str | None = None,
        *,
        reasoning_effort: str | None = None,
        length_limits: bool = False,
    ) -> None:
        if reasoning_effort is not None and reasoning_effort not in REASONING_EFFORTS:
            raise ModelConfigError(
                f"reasoning_effort={reasoning_effort!r}: use one of {', '.join(REASONING_EFFORTS)}"
            )
        self.chat_model, self.reasoning_effort, self.length_limits = (
            chat_model,
            reasoning_effort,
            length_limits,
        )
        name = getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None) or "model"
        effort = f"?reasoning_effort={reasoning_effort}" if reasoning_effort else ""
        self.name = label or f"langchain:{type(chat_model).__name__}:{name}{effort}"
        self.routes = ("json_schema", "tools", "json_object", "text")

    def _bound(self, request: ModelRequest) -> Any:
        kwargs: dict[str, Any] = {"max_tokens": request.max_tokens}
        if self.reasoning_effort is None:
            kwargs["temperature"] = request.temperature
        elif self.reasoning_effort != "default":
            kwargs["reasoning_effort"] = self.reasoning_effort
        if request.seed is not None:
            kwargs["seed"] = request.seed
        fields = getattr(type(self.chat_model), "model_fields", {})
        known = {k: v for k, v in kwargs.items() if k in fields}
        return self.chat_model.model_copy(update=known) if known else self.chat_model

    async def text(self, request: ModelRequest) -> Completion:
        """Free text through ``ainvoke``."""
        started = time.perf_counter()
        try:
            message = await self._bound(request).ainvoke(_messages(request))
        except Exception as exc:
            raise _lc_error(exc) from None
        text = message.content if isinstance(message.content, str) else json.dumps(message.content)
        latency = (time.perf_counter() - started) * 1000
        return Completion(text=text, route="text", latency_ms=latency, **_usage(message))

    async def structured(self, request: ModelRequest) -> Completion:
        """JSON via the first structured-output method this model accepts."""
        for route in self.routes:
            try:
                return await self._structured(request, route)
            except UnsupportedRoute:
                if route == self.routes[-1]:
                    raise
                self.routes = tuple(r for r in self.routes if r != route)
        raise ModelError("no structured-output route left")

    async def _structured(self, request: ModelRequest, route: str) -> Completion:
        started = time.perf_counter()
        model = self._bound(request)
        try:
            if route == "text":
                raw = await model.ainvoke(_messages(request, instruction=True))
            else:
                wire = request.schema or {}
                schema = {
                    "title": request.schema_name,
                    **(wire if self.length_limits else without_lengths(wire)),
                }
                kwargs: dict[str, Any] = {"method": LC_ROUTES[route], "include_raw": True}
                if route == "json_schema":
                    kwargs["strict"] = True
                runnable = model.with_structured_output(schema, **kwargs)
                raw = (await runnable.ainvoke(_messages(request, instruction=route == "json_object")))["raw"]
        except NotImplementedError as exc:
            raise UnsupportedRoute(f"{route}: {exc}") from None
        except Exception as exc:
            raise _lc_error(exc) from None
        text, data = raw.content if isinstance(raw.content, str) else "", None
        calls = getattr(raw, "tool_calls", None) or []
        if calls:
            data = dict(calls[0].get("args") or {})
            text = json.dumps(data)
        refusal = (getattr(raw, "additional_kwargs", None) or {}).get("refusal")
        latency = (time.perf_counter() - started) * 1000
        return Completion(
            text=text, route=route, data=data, refusal=refusal, latency_ms=latency, **_usage(raw)
        )


def _lc_error(exc: BaseException) -> ModelError:
    if isinstance(exc, ModelError):
        return exc
    try:
        return map_error(exc)
    except ImportError:  # pragma: no cover - langchain without openai installed
        return ModelError(f"{type(exc).__name__}: {exc}")
