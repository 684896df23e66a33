"""``openai:MODEL``: any OpenAI-compatible server (OpenAI, DeepSeek, Together, vLLM, Ollama, llama.cpp)
through the async OpenAI SDK. Structured output tries json_schema, then forced tool calls, then
json_object, then plain text; a route the server rejects is skipped from then on."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import weakref
from typing import Any

from agents.models.base import (
    REASONING_EFFORTS,
    SCHEMA_MARK,
    Completion,
    ModelConfigError,
    ModelError,
    ModelRequest,
    TransientModelError,
    UnsupportedRoute,
)

ROUTES = ("json_schema", "tools", "json_object", "text")
_ROUTE_WORDS = ("response_format", "json_schema", "json_object", "tool", "not supported", "unsupported")
#: Request parameters a structured-output route sets: a 400 naming another one (max_tokens, temperature)
#: is not a route problem, and falling back to the next route would not help.
_ROUTE_PARAMS = ("response_format", "tools", "tool_choice")


def schema_instruction(schema: dict[str, Any]) -> str:
    """The line that asks for JSON in the prompt (json_object and text routes)."""
    return f"Reply with one JSON object only. {SCHEMA_MARK}{json.dumps(schema, separators=(',', ':'))}"


def with_instruction(request: ModelRequest) -> list[dict[str, str]]:
    """The request's messages with the schema instruction appended to the last one."""
    messages = [dict(m) for m in request.messages]
    assert request.schema is not None
    messages[-1]["content"] += "\n" + schema_instruction(request.schema)
    return messages


def without_lengths(node: Any) -> Any:
    """A schema without ``maxLength``/``minLength`` (OpenAI's strict mode rejects them)."""
    if isinstance(node, dict):
        return {k: without_lengths(v) for k, v in node.items() if k not in ("maxLength", "minLength")}
    if isinstance(node, list):
        return [without_lengths(v) for v in node]
    return node


def map_error(exc: BaseException) -> ModelError:
    """An SDK exception (openai's, or anything with ``status_code``/``response``) as a :class:`ModelError`."""
    import openai

    if isinstance(exc, openai.APITimeoutError | asyncio.TimeoutError):
        return TransientModelError(f"{type(exc).__name__}: timed out")
    if isinstance(exc, openai.APIConnectionError):
        return TransientModelError(f"{type(exc).__name__}: {_connection_failure(exc)}")
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    body = getattr(exc, "body", None)
    said = body.get("message") if isinstance(body, dict) else None
    if isinstance(said, str) and said and isinstance(status, int):  # the server's own words, not the dump
        message = f"{type(exc).__name__}: HTTP {status}: {said}"
    else:
        message = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
    retry_after = None
    try:
        if "retry-after-ms" in headers:
            retry_after = float(headers["retry-after-ms"]) / 1000
        elif "retry-after" in headers:
            retry_after = float(headers["retry-after"])
    except ValueError:
        retry_after = None
    if status in (408, 409, 429) or (isinstance(status, int) and status >= 500):
        return TransientModelError(message, status=status, retry_after=retry_after)
    param = getattr(exc, "param", None)
    param = param if isinstance(param, str) and param else None
    if status == 400 and param is not None and param.split(".")[0] not in _ROUTE_PARAMS:
        return ModelError(message, status=status, param=param)  # e.g. max_tokens: no route would help
    if status == 400 and any(w in message.lower() for w in _ROUTE_WORDS):
        return UnsupportedRoute(message, status=status, param=param)
    if status in (401, 403):
        return ModelError(f"{type(exc).__name__}: authentication failed (check the API key)", status=status)
    return ModelError(message, status=status)


def _connection_failure(exc: BaseException) -> str:
    """Why a connection failed, from the exception's causes: refused, unknown host, or a generic line."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "host not found"
        if isinstance(seen, TimeoutError):
            return "connection timed out"
        seen = seen.__cause__ or seen.__context__
    return "connection failed"


class OpenAIBackend:
    """Chat completions through ``openai.AsyncOpenAI`` (one client per event loop, SDK retries off: the
    Retry wrapper owns retries). The key comes from the caller or the environment and is never stored
    beyond the client object. ``length_limits`` keeps string ``maxLength`` in schemas (llama.cpp grammars
    honour it; OpenAI's strict mode does not accept it). ``reasoning_effort`` (one of
    :data:`~agents.models.base.REASONING_EFFORTS`) makes it a reasoning model's client, as OpenAI's o-series
    and gpt-5 want: ``max_completion_tokens`` instead of ``max_tokens``, no ``temperature``, and
    ``reasoning_effort`` unless ``default``."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        routes: tuple[str, ...] = ROUTES,
        stream_text: bool = False,
        label: str | None = None,
        length_limits: bool = False,
        reasoning_effort: str | None = None,
    ) -> None:
        import openai  # noqa: F401  (import here, not inside the event loop: it takes seconds)

        if reasoning_effort is not None and reasoning_effort not in REASONING_EFFORTS:
            raise ModelConfigError(
                f"reasoning_effort={reasoning_effort!r}: use one of {', '.join(REASONING_EFFORTS)}"
            )
        self.model, self.reasoning_effort = model, reasoning_effort
        effort = f"?reasoning_effort={reasoning_effort}" if reasoning_effort else ""
        self.name = label or f"openai:{model}{effort}"
        self.routes = routes
        self.stream_text, self.length_limits = stream_text, length_limits
        self._base_url, self._api_key, self._timeout = base_url, api_key, timeout
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._spare: Any = self._new_client()  # built now, not inside the game loop (~0.1 s the first time)

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.model!r}, base_url={self._base_url!r})"

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client, self._spare = self._spare or self._new_client(), None
            self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close this event loop's client (and the spare one): a loop that ends next leaves no open
        connection for the garbage collector to close after the loop is gone."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        spare, self._spare = self._spare, None
        for c in (client, spare):
            if c is not None:
                await c.close()

    def _new_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(
            base_url=self._base_url, api_key=self._api_key, timeout=self._timeout, max_retries=0
        )

    async def text(self, request: ModelRequest) -> Completion:
        """Free text (streamed when ``stream_text``; usage comes in the final chunk)."""
        return await self._call(request, "text", list(request.messages))

    async def structured(self, request: ModelRequest) -> Completion:
        """JSON through the first route this server accepts."""
        for route in self.routes:
            messages = list(request.messages)
            if route in ("json_object", "text"):
                messages = with_instruction(request)
            try:
                return await self._call(request, route, messages)
            except UnsupportedRoute:
                if route == self.routes[-1]:
                    raise
                self.routes = tuple(r for r in self.routes if r != route)
        raise ModelError("no structured-output route left")

    async def _call(self, request: ModelRequest, route: str, messages: list[dict[str, str]]) -> Completion:
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        if self.reasoning_effort is None:
            kwargs.update(temperature=request.temperature, max_tokens=request.max_tokens)
        else:  # a reasoning model: the limit covers its hidden reasoning; temperature is fixed at 1
            kwargs["max_completion_tokens"] = request.max_tokens
            if self.reasoning_effort != "default":
                kwargs["reasoning_effort"] = self.reasoning_effort
        if request.seed is not None:
            kwargs["seed"] = request.seed
        schema, name = request.schema, request.schema_name
        if schema is not None and not self.length_limits:
            schema = without_lengths(schema)
        if route == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True},
            }
        elif route == "tools":
            kwargs["tools"] = [{"type": "function", "function": {"name": name, "parameters": schema}}]
            kwargs["tool_choice"] = {"type": "function", "function": {"name": name}}
        elif route == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        started = time.perf_counter()
        try:
            if route == "text" and self.stream_text and request.schema is None:
                completion = await self._stream(kwargs)
            else:
                completion = _completion(await self._post(kwargs), route)
        except ModelError:
            raise
        except Exception as exc:
            raise map_error(exc) from None
        latency = (time.perf_counter() - started) * 1000
        return Completion(**{**completion.__dict__, "latency_ms": latency})

    async def _post(self, body: dict[str, Any]) -> Any:
        """``POST /chat/completions`` without the SDK's per-call parameter transform (milliseconds a call
        on big prompts); the body is already plain JSON."""
        from openai.types.chat import ChatCompletion

        return await self._client().post("/chat/completions", cast_to=ChatCompletion, body=body)

    async def _stream(self, kwargs: dict[str, Any]) -> Completion:
        stream = await self._client().chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        parts, usage, served, fingerprint, finish = [], None, None, None, None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
            if chunk.choices and chunk.choices[0].finish_reason:
                finish = chunk.choices[0].finish_reason
            usage = chunk.usage or usage
            served = getattr(chunk, "model", None) or served
            fingerprint = getattr(chunk, "system_fingerprint", None) or fingerprint
        completion = Completion(
            text="".join(parts),
            route="text",
            served_model=served,
            system_fingerprint=fingerprint,
            finish_reason=finish,
        )
        return _with_usage(completion, usage)


def _with_usage(completion: Completion, usage: Any) -> Completion:
    if usage is None:
        return completion
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", 0) or 0
    thought = getattr(getattr(usage, "completion_tokens_details", None), "reasoning_tokens", 0) or 0
    return Completion(
        **{
            **completion.__dict__,
            "prompt_tokens": usage.prompt_tokens or 0,
            "completion_tokens": usage.completion_tokens or 0,
            "cached_tokens": cached,
            "reasoning_tokens": thought,
        }
    )


def _completion(response: Any, route: str) -> Completion:
    if not response.choices:
        raise TransientModelError("empty choices in response")
    message = response.choices[0].message
    text = message.content or ""
    data = None
    if message.tool_calls:
        text = message.tool_calls[0].function.arguments or ""
    if route != "text" and text:
        try:
            parsed = json.loads(text)
            data = parsed if isinstance(parsed, dict) else None
        except ValueError:
            data = None
    refusal = getattr(message, "refusal", None)
    completion = Completion(
        text=text,
        route=route,
        data=data,
        refusal=refusal,
        finish_reason=getattr(response.choices[0], "finish_reason", None) or None,
        served_model=getattr(response, "model", None) or None,
        system_fingerprint=getattr(response, "system_fingerprint", None) or None,
    )
    return _with_usage(completion, response.usage)
