"""Model specs to model stacks: ``openai:MODEL``, ``langchain:PROVIDER:MODEL``, ``local[:PATH]``.

Options ride in a query string: ``openai:deepseek-chat?base_url=https://api.deepseek.com&key_env=DEEPSEEK_API_KEY``
(the key itself is only ever read from the environment); ``price=IN,CACHED,OUT`` (USD per million tokens)
prices a model the table does not know (:func:`price_of`); ``reasoning_effort=EFFORT`` (minimal, low,
medium, high or default) marks a reasoning model (OpenAI's o-series, gpt-5): ``max_completion_tokens``, no
``temperature``, the effort sent (not for ``default``), and the effort is part of the model's label.
Optional packages are imported here, on use.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from agents.models.base import REASONING_EFFORTS, ChatModel, ModelConfigError
from agents.models.cache import Cached, ResponseCache
from agents.models.prices import PRICES, Price, price_of
from agents.models.recorder import Recorder
from agents.models.wrappers import Limit, Retry
from traitors.provenance import is_model_spec

__all__ = ["backend_for", "build_model", "is_model_spec", "model_label", "price_of", "split_spec"]

NO_KEY = (
    "OPENAI_API_KEY is not set: export it (or set OPENAI_BASE_URL for a local server), "
    "or play offline with --agents heuristic or --model local"
)


def split_spec(spec: str) -> tuple[str, str, dict[str, str]]:
    """``"openai:gpt-4o?timeout=30"`` → ``("openai", "gpt-4o", {"timeout": "30"})``."""
    head, _, query = spec.strip().partition("?")
    kind, _, rest = head.partition(":")
    return kind, rest, dict(parse_qsl(query))


def model_label(spec: str) -> str:
    """The name the backend of ``spec`` reports (the ``model`` of its ``ModelCall`` events and the response
    cache key's model): ``openai:MODEL``, ``langchain:PROVIDER:MODEL``, ``local`` or ``local:FILE.gguf``;
    a reasoning model's effort is part of it (``openai:o3-mini?reasoning_effort=low``)."""
    kind, rest, opts = split_spec(spec)
    if kind == "local":
        return f"local:{Path(rest).name}" if rest else "local"
    effort = opts.get("reasoning_effort")
    return f"{kind}:{rest}" + (f"?reasoning_effort={effort}" if effort else "")


def _effort(opts: dict[str, str], spec: str) -> str | None:
    """The spec's ``reasoning_effort`` (``None``: not a reasoning model); one line when it is unknown."""
    effort = opts.get("reasoning_effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        known = ", ".join(REASONING_EFFORTS)
        raise ModelConfigError(f"{spec.partition('?')[0]}: reasoning_effort={effort!r}: use one of {known}")
    return effort


#: The options each backend takes in its spec's query string.
OPTIONS: dict[str, frozenset[str]] = {
    "openai": frozenset({"base_url", "key_env", "timeout", "price", "reasoning_effort"}),
    "langchain": frozenset({"base_url", "timeout", "price", "reasoning_effort"}),
    "local": frozenset({"threads", "n_ctx", "timeout", "price"}),
}
#: Option names that would carry a secret: refused, with where the key goes instead.
_SECRET_OPTIONS = ("key", "api_key", "apikey", "openai_api_key", "token", "secret", "password")


def check_options(spec: str) -> None:
    """Refuse, in one line that never repeats a value, a key inside the spec (keys live in the environment:
    ``key_env=VAR`` names the variable) and any option the backend does not take."""
    kind, _, opts = split_spec(spec)
    head = spec.strip().partition("?")[0]
    for name in opts:
        if name.lower() in _SECRET_OPTIONS or name.lower().endswith(("_key", "_token", "_secret")):
            raise ModelConfigError(
                f"{head}: ?{name}= would put a secret in the model spec (and so in the database): export "
                "the key in an environment variable and name it with key_env=VAR"
            )
    known = OPTIONS.get(kind)
    if known is None:
        return
    unknown = sorted(set(opts) - known)
    if unknown:
        raise ModelConfigError(
            f"{head}: unknown option {unknown[0]!r}: {kind} takes {', '.join(sorted(known))}"
        )


def _integer(opts: dict[str, str], name: str, default: int | None, spec: str) -> int | None:
    if name not in opts:
        return default
    try:
        value = int(opts[name])
    except ValueError:
        value = 0
    if value <= 0:
        raise ModelConfigError(
            f"{spec.partition('?')[0]}: {name}={opts[name]!r}: give a positive whole number"
        )
    return value


def _need(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ModelConfigError(f"{module} is not installed: pip install 'traitors[{extra}]'")


def _number(opts: dict[str, str], name: str, default: float, spec: str) -> float:
    try:
        value = float(opts.get(name, default))
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ModelConfigError(f"{spec.partition('?')[0]}: {name}={opts[name]!r}: give a positive number")
    return value


def backend_for(spec: str | Any, *, timeout: float | None = None) -> ChatModel:
    """The bare backend for a spec string, or a LangChain chat model instance passed from Python.
    ``timeout`` (seconds per request) caps the spec's ``?timeout=`` (default 60)."""
    if not isinstance(spec, str):
        from agents.models.langchain_backend import LangChainBackend

        return LangChainBackend(spec)
    kind, rest, opts = split_spec(spec)
    check_options(spec)  # a key in the spec or an unknown option: one line, before anything else
    price_of(spec)  # a bad ?price= fails here, in one line
    effort = _effort(opts, spec)
    timeout = min(_number(opts, "timeout", 60.0, spec), timeout or float("inf"))
    if kind == "openai":
        _need("openai", "llm")
        if not rest:
            raise ModelConfigError("openai: needs a model name, e.g. openai:gpt-4o-mini")
        from agents.models.openai_backend import OpenAIBackend

        base_url = opts.get("base_url") or os.environ.get("OPENAI_BASE_URL") or None
        key_env = opts.get("key_env", "OPENAI_API_KEY")
        api_key = os.environ.get(key_env)
        if not api_key:
            if base_url is None:
                raise ModelConfigError(NO_KEY if key_env == "OPENAI_API_KEY" else f"{key_env} is not set")
            api_key = "not-needed"
        label = model_label(spec)
        return OpenAIBackend(
            rest, base_url=base_url, api_key=api_key, timeout=timeout, label=label, reasoning_effort=effort
        )
    if kind == "langchain":
        _need("langchain", "llm")
        if ":" not in rest:
            raise ModelConfigError("langchain: needs PROVIDER:MODEL, e.g. langchain:openai:gpt-4o-mini")
        from langchain.chat_models import init_chat_model

        from agents.models.langchain_backend import LangChainBackend

        kwargs: dict[str, Any] = {"max_retries": 0, "timeout": timeout}
        if "base_url" in opts:
            kwargs["base_url"] = opts["base_url"]
        if effort not in (None, "default"):
            kwargs["reasoning_effort"] = effort
        try:
            model = init_chat_model(rest, **kwargs)
        except Exception as exc:  # missing provider package or key: one line
            raise ModelConfigError(f"langchain:{rest}: {type(exc).__name__}: {exc}") from None
        return LangChainBackend(model, label=model_label(spec), reasoning_effort=effort)
    if kind == "local":
        from agents.models.local_backend import LocalBackend

        threads = _integer(opts, "threads", None, spec)
        n_ctx = _integer(opts, "n_ctx", 2048, spec)
        return LocalBackend(rest or None, n_ctx=n_ctx or 2048, threads=threads)
    raise ModelConfigError(
        f"unknown model spec {spec.strip().partition('?')[0]!r}: use openai:MODEL, langchain:PROVIDER:MODEL "
        "or local"
    )


def build_model(
    spec: str | Any,
    *,
    engine: Any = None,
    cache: bool = True,
    concurrency: int = 32,
    max_attempts: int = 5,
    base_delay: float = 0.5,
    prices: Mapping[str, Price] | None = None,
) -> ChatModel:
    """The full stack ``Recorder(Cached(Retry(Limit(backend))))``; without an ``engine`` (SQLAlchemy) there
    is no cache and no ``model_calls`` rows, but retries and the limit stay. Calls are priced by the spec's
    ``?price=``, else by ``prices`` (default :data:`~agents.models.prices.PRICES`); unknown: ``None``."""
    model: ChatModel = spec if isinstance(spec, ChatModel) else backend_for(spec)
    table = PRICES if prices is None else prices
    price = price_of(spec if isinstance(spec, str) else model.name, table)
    model = Retry(Limit(model, concurrency), max_attempts=max_attempts, base_delay=base_delay)
    if engine is not None and cache:
        model = Cached(model, ResponseCache(engine), price)
    return Recorder(model, engine, table, price=price)
