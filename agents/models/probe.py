"""``probe(spec)``: one cheap real call before a game, so that a model that cannot play fails in one line
before anything is written, instead of every decision falling back to the heuristic.

The call goes through the bare backend (no cache, no recorder, no ``model_calls`` row), at most two
attempts with a short timeout, and sends what a game's calls send: a strict ``json_schema`` request (the
backend falls back through tools, json_object and text as in a game), ``temperature``, ``seed`` and
``max_tokens``. So a dead endpoint, a wrong key, an unknown model or a server that rejects one of those
parameters (OpenAI's reasoning models reject ``max_tokens`` and any temperature but 1) is caught. The
error never shows a key (``ModelError`` messages are redacted).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from agents.models.base import (
    THINK_TOKENS,
    Completion,
    ModelConfigError,
    ModelError,
    ModelRequest,
    reasoning_effort,
)
from agents.models.factory import backend_for, model_label, split_spec
from agents.models.wrappers import Retry

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}},
    "required": ["ok"],
    "additionalProperties": False,
}
MESSAGES = ({"role": "user", "content": 'This is a connection check. Reply with {"ok": true}.'},)


async def probe(
    spec: str, *, timeout: float = 10.0, temperature: float = 0.7, max_tokens: int = 24
) -> Completion:
    """Make one structured call to ``spec`` (at most 2 attempts, ``timeout`` seconds each) with a game's
    parameters (``temperature`` as the LLM agent's default, ``max_tokens`` as a vote's, plus room to think
    for a reasoning model) and return the answer; raise :class:`ModelConfigError` with one line naming the
    model and the reason."""
    label = model_label(spec)
    backend = backend_for(spec, timeout=timeout)  # a bad spec, a missing key or package: ModelConfigError
    effort = reasoning_effort(backend)
    max_tokens += THINK_TOKENS[effort] if effort else 0
    model = Retry(backend, max_attempts=2, base_delay=0.2, max_delay=1.0)
    request = ModelRequest(
        messages=MESSAGES,
        schema=SCHEMA,
        schema_name="probe",
        temperature=temperature,
        seed=0,
        max_tokens=max_tokens,
    )
    kind = split_spec(spec)[0]
    bound = None if kind == "local" else 2 * timeout + 2  # local: the first call loads the model file
    try:
        return await asyncio.wait_for(model.structured(request), bound)
    except ModelError as err:
        raise ModelConfigError(f"{label}: {reason(err, spec, backend)}") from None
    except TimeoutError:
        raise ModelConfigError(f"{label}: no answer within {bound:.0f} s") from None
    finally:
        close = getattr(backend, "aclose", None)
        if close is not None:
            await close()


def reason(err: ModelError, spec: str, backend: Any = None) -> str:
    """Why the probe failed, for people: authentication, a rejected parameter, an unknown model, an
    unreachable server, or the server's own message."""
    kind, _, opts = split_spec(spec)
    status = err.status
    if status in (401, 403):
        where = opts.get("key_env", "OPENAI_API_KEY") if kind == "openai" else "the provider's key variable"
        return f"authentication failed (HTTP {status}): check the API key in {where}"
    if status == 400 and err.param:
        hint = ""
        if err.param in ("max_tokens", "temperature") and "reasoning_effort" not in opts:
            hint = " (a reasoning model? add reasoning_effort=medium to the spec's options)"
        return f"the server rejects the parameter {err.param!r} that game calls send{hint}: {err}"
    if status == 404:
        return f"model or endpoint not found (check the model name and base_url): {err}"
    if err.retryable and status is None:
        url = getattr(backend, "_base_url", None)
        shown = _without_userinfo(url) if url else ("the OpenAI API" if kind == "openai" else "the server")
        return f"{'no answer in time from' if 'timed out' in str(err) else 'cannot reach'} {shown}: {err}"
    return f"the probe call failed: {err}"


def _without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc)) if parts.netloc else url
