"""Model backends and wrappers over real HTTP against the fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import random

import pytest
from llm_support import (
    KEY,
    call_rows,
    server_fixture,  # noqa: F401  (fixture)
)

from agents.llm.schemas import extract_json
from agents.models.base import ModelConfigError, ModelError, ModelRequest, redact
from agents.models.cache import Cached, ResponseCache
from agents.models.factory import backend_for, build_model, split_spec
from agents.models.fake_server import FakeOpenAI
from agents.models.openai_backend import OpenAIBackend
from agents.models.recorder import Recorder, cost_usd
from agents.models.wrappers import Retry
from traitors.store import Store

SCHEMA = {
    "type": "object",
    "properties": {"choice": {"type": "string", "enum": ["Alex", "Bea"]}},
    "required": ["choice"],
    "additionalProperties": False,
}


def req(text: str = "Vote.", schema: dict | None = SCHEMA, **kw) -> ModelRequest:
    return ModelRequest(messages=({"role": "user", "content": text},), schema=schema, seed=1, **kw)


def backend(srv: FakeOpenAI, **kw) -> OpenAIBackend:
    return OpenAIBackend("gpt-4o-mini", base_url=srv.base_url, api_key=KEY, **kw)


class Sleeps:
    """A recording, instant sleep for the retry wrapper."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def test_json_schema_route_and_usage(server: FakeOpenAI) -> None:
    c = asyncio.run(backend(server).structured(req()))
    assert c.route == "json_schema" and c.data["choice"] in ("Alex", "Bea")
    assert c.prompt_tokens > 0 and c.completion_tokens > 0
    body = server.requests[-1]
    assert body["response_format"]["json_schema"]["strict"] is True and body["seed"] == 1
    assert server.auth_headers[-1] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("supports", "route"), [(("tools",), "tools"), (("json_object",), "json_object"), ((), "text")]
)
def test_structured_routes_fall_back(supports: tuple[str, ...], route: str) -> None:
    with FakeOpenAI(supports=supports) as srv:
        model = backend(srv)
        for _ in range(2):  # the rejected routes are remembered
            c = asyncio.run(model.structured(req()))
            data = c.data if c.data is not None else extract_json(c.text)  # text: the agent parses
            assert c.route == route and data["choice"] in ("Alex", "Bea")
        assert model.routes[0] == route


@pytest.mark.parametrize(
    ("supports", "route"), [(("tools",), "tools"), (("json_object",), "json_object"), ((), "text")]
)
def test_langchain_routes_fall_back_over_http(supports: tuple[str, ...], route: str) -> None:
    """LangChain's ChatOpenAI against a server that rejects the richer structured outputs (HTTP 400): the
    backend falls back route by route, remembers it, and parses the answer."""
    from langchain_openai import ChatOpenAI

    from agents.models.langchain_backend import LangChainBackend

    with FakeOpenAI(supports=supports) as srv:
        chat = ChatOpenAI(model="gpt-4o-mini", base_url=srv.base_url, api_key=KEY, max_retries=0)
        model = LangChainBackend(chat)

        async def twice() -> list:  # one event loop: the chat model's async client is bound to it
            return [await model.structured(req()) for _ in range(2)]

        for c in asyncio.run(twice()):  # the rejected routes are remembered: the second call goes straight
            data = c.data if c.data is not None else extract_json(c.text)
            assert c.route == route and data["choice"] in ("Alex", "Bea")
        assert model.routes[0] == route
        sent = [
            (b.get("response_format") or {}).get("type") or ("tools" if b.get("tools") else "text")
            for b in srv.requests
        ]
        order = ["json_schema", "tools", "json_object", "text"]
        assert sent == [*order[: order.index(route) + 1], route]  # each rejected once, then straight there


def test_streaming_text_reports_usage(server: FakeOpenAI) -> None:
    c = asyncio.run(backend(server, stream_text=True).text(req(schema=None)))
    assert c.text and c.route == "text" and c.prompt_tokens > 0
    assert server.requests[-1]["stream"] is True


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "timeout"])
def test_transient_faults_are_retried(fault: str) -> None:
    with FakeOpenAI(script=[fault], timeout_sleep=0.4, retry_after=0.25) as srv:
        sleeps = Sleeps()
        model = Retry(backend(srv, timeout=0.15), sleep=sleeps)
        c = asyncio.run(model.structured(req()))
        assert c.attempts == 2 and srv.injected[fault] == 1 and len(sleeps.delays) == 1
        if fault == "rate_limit":  # Retry-After honoured (plus at most 10% jitter)
            assert 0.25 <= sleeps.delays[0] <= 0.275


def test_retry_gives_up_with_attempts() -> None:
    with FakeOpenAI(script=["server_error"] * 3) as srv:
        model = Retry(backend(srv), max_attempts=3, sleep=Sleeps())
        with pytest.raises(ModelError) as info:
            asyncio.run(model.structured(req()))
        assert info.value.attempts == 3 and info.value.retryable


def test_backoff_is_bounded_and_seeded() -> None:
    retry = Retry(backend_for_none(), base_delay=0.5, max_delay=4.0)
    a = [retry.delay(n, None, random.Random(7)) for n in range(1, 8)]
    b = [retry.delay(n, None, random.Random(7)) for n in range(1, 8)]
    assert a == b and all(0 <= d <= min(4.0, 0.5 * 2 ** (n - 1)) for n, d in enumerate(a, 1))


def backend_for_none() -> OpenAIBackend:
    return OpenAIBackend("m", base_url="http://127.0.0.1:9/v1", api_key="x")


def test_cache_serves_repeats_and_terminal_errors(server: FakeOpenAI, tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    model = Recorder(Cached(backend(server), ResponseCache(store.engine)), store.engine)
    first = asyncio.run(model.structured(req(tags={"game_id": "g", "player": "Alex", "purpose": "vote"})))
    again = asyncio.run(model.structured(req()))
    assert len(server.requests) == 1 and again.cache_hit and not first.cache_hit
    assert (again.text, again.prompt_tokens, again.request_hash) == (
        first.text,
        first.prompt_tokens,
        first.request_hash,
    )
    assert again.cost_usd == 0 < first.cost_usd
    server.script = ["server_error"]
    for _ in range(2):
        with pytest.raises(ModelError):
            asyncio.run(model.structured(req("other")))
    assert len(server.requests) == 2
    rows = call_rows(store)
    assert [r["cache_hit"] for r in rows] == [False, True, False, True]
    assert rows[0]["game_id"] == "g" and rows[0]["purpose"] == "vote" and rows[2]["outcome"] == "error"


def test_price_table_is_overridable() -> None:
    assert cost_usd("openai:gpt-4o-mini", 1_000_000, 0, 0) == pytest.approx(0.15)
    assert cost_usd("openai:mine", 1000, 500, 1000, {"mine": (1.0, 0.5, 2.0)}) == pytest.approx(0.00275)
    assert cost_usd("openai:unknown", 10, 0, 10) == 0.0


def test_keys_never_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    assert KEY not in redact(f"bad key {KEY} given")
    with FakeOpenAI() as srv:
        srv.script = []
        model = backend(srv)
        srv.requests.clear()
    with pytest.raises(ModelError) as info:  # server gone: connection error, no key in the message
        asyncio.run(Retry(model, max_attempts=1).structured(req()))
    assert KEY not in str(info.value) and KEY not in repr(model)


def test_specs_and_config_errors(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    assert split_spec("openai:deepseek-chat?base_url=http://x/v1&key_env=DS") == (
        "openai",
        "deepseek-chat",
        {"base_url": "http://x/v1", "key_env": "DS"},
    )
    with pytest.raises(ModelConfigError, match="--agents heuristic"):
        backend_for("openai:gpt-4o-mini")
    with pytest.raises(ModelConfigError, match="DS is not set"):
        backend_for("openai:x?key_env=DS")
    monkeypatch.setenv("DS", KEY)
    assert backend_for("openai:x?key_env=DS&base_url=http://127.0.0.1:1/v1").name == "openai:x"
    with pytest.raises(ModelConfigError, match="unknown model spec"):
        backend_for("claude:x")
    with pytest.raises(ModelConfigError, match="PROVIDER:MODEL"):
        backend_for("langchain:gpt-4o")
    with pytest.raises(ModelConfigError, match="no GGUF"):
        backend_for(f"local:{tmp_path / 'missing.gguf'}")
    assert build_model("openai:x?key_env=DS&base_url=http://127.0.0.1:1/v1").name == "openai:x"
