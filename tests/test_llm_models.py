"""Model backends and wrappers over real HTTP against the fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
import random
import time

import pytest
from llm_support import (
    KEY,
    call_rows,
    server_fixture,  # noqa: F401  (fixture)
)
from sqlalchemy import select

from agents.llm.schemas import extract_json
from agents.models.base import ModelConfigError, ModelError, ModelRequest, redact
from agents.models.cache import Cached, ResponseCache
from agents.models.calllog import CallLog
from agents.models.factory import backend_for, build_model, price_of, split_spec
from agents.models.fake_server import FakeOpenAI
from agents.models.openai_backend import OpenAIBackend
from agents.models.probe import probe
from agents.models.recorder import Recorder, cost_usd
from agents.models.tables import llm_cache
from agents.models.wrappers import Retry
from traitors.events import ModelCall
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


def test_cache_serves_repeats_but_never_errors(server: FakeOpenAI, tmp_path) -> None:
    """A repeat is served from the cache (cost 0, the original cost and what served it kept); a terminal
    error is not cached: the re-run after the server recovered gets the real answer."""
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    model = build_model(backend(server), engine=store.engine, max_attempts=1)
    first = asyncio.run(model.structured(req(tags={"game_id": "g", "player": "Alex", "purpose": "vote"})))
    again = asyncio.run(model.structured(req()))
    assert len(server.requests) == 1 and again.cache_hit and not first.cache_hit
    assert (again.text, again.prompt_tokens, again.request_hash) == (
        first.text,
        first.prompt_tokens,
        first.request_hash,
    )
    assert again.cost_usd == 0 < first.cost_usd == first.original_cost_usd == again.original_cost_usd
    assert first.served_model == again.served_model == "gpt-4o-mini"
    assert first.system_fingerprint == again.system_fingerprint == "fp_fake"
    server.script = ["server_error"]
    with pytest.raises(ModelError):
        asyncio.run(model.structured(req("other")))
    recovered = asyncio.run(model.structured(req("other")))  # asked again: errors are not cached
    assert len(server.requests) == 3 and not recovered.cache_hit and recovered.data is not None
    with store.engine.connect() as conn:
        stored = [json.loads(r.response) for r in conn.execute(select(llm_cache))]
    assert len(stored) == 2 and not any("error" in r for r in stored)
    assert all(r["served_model"] == "gpt-4o-mini" and r["cost_usd"] > 0 for r in stored)


def test_an_error_cached_by_an_older_version_is_asked_again(server: FakeOpenAI, tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    cache = ResponseCache(store.engine)
    model = Cached(backend(server), cache)
    key = req().key(model.name)
    cache.put(key, model.name, req(), {"error": "boom", "status": 500, "attempts": 1, "retryable": False})
    c = asyncio.run(model.structured(req()))
    assert not c.cache_hit and len(server.requests) == 1 and "error" not in cache.get(key)


def test_prices_unknown_is_none_and_a_spec_gives_its_own() -> None:
    assert cost_usd("openai:gpt-4o-mini", 1_000_000, 0, 0) == pytest.approx(0.15)
    assert cost_usd("openai:mine", 1000, 500, 1000, {"mine": (1.0, 0.5, 2.0)}) == pytest.approx(0.00275)
    assert cost_usd("openai:unknown", 10, 0, 10) is None
    assert price_of("openai:gpt-4o-2024-08-06") is None  # a pinned name is not its alias
    assert price_of("openai:gpt-4o-2024-08-06?price=2.5,1.25,10") == (2.5, 1.25, 10.0)
    assert price_of("openai:gpt-4o?base_url=http://x/v1&price=1,0,2") == (1.0, 0.0, 2.0)  # spec first
    assert price_of("langchain:openai:gpt-4o-mini") == (0.15, 0.075, 0.60)
    assert price_of("local") == price_of("local:/models/x.gguf") == (0.0, 0.0, 0.0)
    for bad in ("1,2", "a,b,c", "1,-1,2", "1,2,3,4", "nan,1,1", ""):
        with pytest.raises(ModelConfigError, match=r"^openai:m: price=.*three non-negative numbers"):
            price_of(f"openai:m?price={bad}")


def test_unknown_price_is_recorded_as_unknown(server: FakeOpenAI) -> None:
    model = Recorder(OpenAIBackend("pinned-2024", base_url=server.base_url, api_key=KEY), None)
    c = asyncio.run(model.structured(req()))
    assert c.cost_usd is None and c.original_cost_usd is None and c.prompt_tokens > 0
    priced = build_model(f"openai:pinned-2024?base_url={server.base_url}&price=1,0.5,2")
    assert asyncio.run(priced.structured(req())).cost_usd > 0


def test_served_version_from_streams_and_langchain() -> None:
    from langchain_openai import ChatOpenAI

    from agents.models.langchain_backend import LangChainBackend

    with FakeOpenAI(served_model="gpt-4o-mini-2024-07-18", fingerprint="fp_44709d6fcb") as srv:
        streamed = asyncio.run(backend(srv, stream_text=True).text(req(schema=None)))
        chat = ChatOpenAI(model="gpt-4o-mini", base_url=srv.base_url, api_key=KEY, max_retries=0)
        lc = asyncio.run(LangChainBackend(chat).structured(req()))
    for c in (streamed, lc):
        assert (c.served_model, c.system_fingerprint) == ("gpt-4o-mini-2024-07-18", "fp_44709d6fcb")


def test_fake_server_rejects_parameters_and_wrong_keys() -> None:
    with FakeOpenAI(rejects=("max_tokens", "temperature"), key=KEY) as srv:
        with pytest.raises(ModelError) as info:
            asyncio.run(backend(srv).structured(req()))
        assert info.value.status == 400 and info.value.param == "max_tokens"
        assert "max_completion_tokens" in str(info.value)
        model = backend(srv)
        assert model.routes[0] == "json_schema"  # a rejected parameter is not a rejected route
        other = OpenAIBackend("gpt-4o-mini", base_url=srv.base_url, api_key="sk-wrong-0123456789abc")
        with pytest.raises(ModelError) as info:
            asyncio.run(other.structured(req()))
        assert info.value.status == 401 and "authentication" in str(info.value)
        assert "sk-wrong" not in str(info.value)


def test_call_log_writes_one_row_per_event_once(server: FakeOpenAI, tmp_path) -> None:
    """Rows come from ModelCall events with the recorder's measurements; re-appending writes nothing; an
    event without a measurement gets NULLs; calls without an event (or outside a game) leave no row."""
    store = Store(f"sqlite:///{tmp_path / 'log.db'}")
    model = build_model(backend(server), engine=store.engine)
    tags = {"game_id": "g", "player": "Alex", "purpose": "vote"}
    c = asyncio.run(model.structured(req(tags=tags)))
    asyncio.run(model.structured(req("outside a game")))
    asyncio.run(model.structured(req("no event will say so", tags=tags)))
    log = CallLog.for_store(store)
    assert log is CallLog.for_engine(store.engine) and log.pending("g") == 2
    common = {"game_id": "g", "day": 1, "phase": "roundtable", "audience": (), "player": "Alex"}
    common |= {"purpose": "vote", "model": model.name, "route": c.route, "request_hash": c.request_hash}
    event = ModelCall(seq=7, prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens, **common)
    unmeasured = event.model_copy(update={"seq": 8, "request_hash": "x" * 64})
    for _ in range(2):
        log.append([event, unmeasured])
    rows = call_rows(store)
    assert [(r["seq"], r["request_hash"]) for r in rows] == [(7, c.request_hash), (8, "x" * 64)]
    assert rows[0]["cost_usd"] == pytest.approx(c.cost_usd) and rows[0]["served_model"] == "gpt-4o-mini"
    assert rows[0]["latency_ms"] > 0 and rows[0]["cache_hit"] is False and rows[0]["outcome"] == "ok"
    assert all(rows[1][k] is None for k in ("latency_ms", "cost_usd", "cache_hit", "created_at"))
    assert log.pending("g") == 0  # the call no event records was dropped with its game's batch


def test_an_old_model_calls_table_asks_for_an_upgrade(tmp_path) -> None:
    from sqlalchemy import text

    from traitors.store import StoreError, open_engine

    engine = open_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE model_calls (id INTEGER PRIMARY KEY, game_id TEXT)"))
    with pytest.raises(StoreError, match="traitors upgrade --db"):
        build_model("openai:x?base_url=http://127.0.0.1:1/v1", engine=engine)


def test_probe_passes_on_a_good_server(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    c = asyncio.run(probe(f"openai:gpt-4o-mini?base_url={server.base_url}"))
    assert c.served_model == "gpt-4o-mini" and len(server.requests) == 1
    body = server.requests[0]
    assert body["temperature"] == 0.7 and body["max_tokens"] > 0 and "seed" in body
    assert body["response_format"]["type"] == "json_schema"


def test_probe_fails_fast_on_a_closed_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeOpenAI() as srv:
        url = srv.base_url  # a port nobody listens on once the server is stopped
    started = time.perf_counter()
    with pytest.raises(ModelConfigError) as info:
        asyncio.run(probe(f"openai:gpt-4o-mini?base_url={url}"))
    message = str(info.value)
    assert time.perf_counter() - started < 5
    assert message.startswith("openai:gpt-4o-mini: cannot reach") and "connection refused" in message
    assert "\n" not in message and KEY not in message


def test_probe_names_authentication_and_rejected_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeOpenAI(key="sk-the-right-one-0123456789") as srv, pytest.raises(ModelConfigError) as info:
        asyncio.run(probe(f"openai:gpt-4o?base_url={srv.base_url}"))
    assert "authentication failed (HTTP 401)" in str(info.value) and "OPENAI_API_KEY" in str(info.value)
    assert KEY not in str(info.value) and "SECRET" not in str(info.value)
    for rejected in ("max_tokens", "temperature"):
        with FakeOpenAI(rejects=(rejected,)) as srv, pytest.raises(ModelConfigError) as info:
            asyncio.run(probe(f"openai:o3?base_url={srv.base_url}"))
        assert str(info.value).startswith(f"openai:o3: the server rejects the parameter '{rejected}'")
        assert len(srv.requests) == 1  # a 400 is not retried, nor taken for a structured-output route


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


REASONING = ("max_tokens", "temperature")  # what OpenAI's reasoning models answer with a 400


def test_a_reasoning_model_sends_max_completion_tokens_and_reports_its_reasoning(monkeypatch) -> None:
    """Against a server that rejects max_tokens and temperature as o-series models do: the spec's
    reasoning_effort makes the backend send max_completion_tokens and the effort, no temperature; the
    reasoning tokens come back on the Completion; the probe passes; the label carries the effort."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeOpenAI(rejects=REASONING, reasoning_tokens=200) as srv:
        spec = f"openai:o3-mini?base_url={srv.base_url}&reasoning_effort=low"
        assert asyncio.run(probe(spec)).reasoning_tokens == 100  # low: half the server's 200
        model = backend_for(spec)
        assert model.name == "openai:o3-mini?reasoning_effort=low" and price_of(spec) == price_of(
            "openai:o3-mini"
        )
        c = asyncio.run(model.structured(req(max_tokens=400)))
        body = srv.requests[-1]
        assert "max_tokens" not in body and "temperature" not in body
        assert body["max_completion_tokens"] == 400 and body["reasoning_effort"] == "low"
        assert c.data["choice"] in ("Alex", "Bea") and c.reasoning_tokens == 100
        assert c.completion_tokens > c.reasoning_tokens and c.finish_reason == "stop"
        default = backend_for(f"openai:o3-mini?base_url={srv.base_url}&reasoning_effort=default")
        asyncio.run(default.structured(req()))
        assert "reasoning_effort" not in srv.requests[-1] and "temperature" not in srv.requests[-1]
    with pytest.raises(ModelConfigError, match=r"^openai:o3: reasoning_effort='huge': use one of minimal"):
        backend_for("openai:o3?reasoning_effort=huge&base_url=http://127.0.0.1:1/v1")


def test_a_reasoning_model_without_the_option_is_named_by_the_probe(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FakeOpenAI(rejects=REASONING) as srv, pytest.raises(ModelConfigError) as info:
        asyncio.run(probe(f"openai:o3-mini?base_url={srv.base_url}"))
    assert "'max_tokens'" in str(info.value) and "add reasoning_effort=medium" in str(info.value)


def test_a_reply_cut_at_the_limit_says_so(server: FakeOpenAI) -> None:
    """The server enforces the limit: a longer answer is cut and ends with finish_reason "length" (as is
    a reasoning model's whose thinking used the limit up); the "length" fault cuts one reply."""
    speech = {
        "type": "object",
        "properties": {"text": {"type": "string"}, "accuses": {"type": "array", "items": {"enum": ["Bea"]}}},
        "required": ["text", "accuses"],
        "additionalProperties": False,
    }
    model = backend(server)
    whole = asyncio.run(model.structured(req(schema=speech, max_tokens=200)))
    assert whole.finish_reason == "stop" and len(whole.data["text"]) >= 250  # speeches of ~300 characters
    cut = asyncio.run(model.structured(req(schema=speech, max_tokens=20)))
    assert cut.finish_reason == "length" and cut.data is None and cut.completion_tokens == 20
    server.script = ["length"]
    assert asyncio.run(model.structured(req())).finish_reason == "length"
    with FakeOpenAI(reasoning_tokens=64) as thinker:
        spent = asyncio.run(backend(thinker).structured(req(max_tokens=64)))
    assert spent.text == "" and spent.finish_reason == "length" and spent.reasoning_tokens == 64


def test_strict_schemas_lose_the_keywords_openai_rejects() -> None:
    """OpenAI's strict mode answers 400 to maxLength; the OpenAI and LangChain backends strip it (the local
    backend keeps it for llama.cpp grammars), so strict json_schema stays the route."""
    from langchain_openai import ChatOpenAI

    from agents.models.langchain_backend import LangChainBackend

    capped = {
        "type": "object",
        "properties": {"text": {"type": "string", "maxLength": 50}},
        "required": ["text"],
        "additionalProperties": False,
    }
    with FakeOpenAI() as srv:
        keeps = backend(srv, length_limits=True)
        with pytest.raises(ModelError, match="'maxLength' is not permitted"):
            asyncio.run(keeps._call(req(schema=capped), "json_schema", [{"role": "user", "content": "x"}]))
        assert asyncio.run(backend(srv).structured(req(schema=capped))).route == "json_schema"
        chat = ChatOpenAI(model="gpt-4o-mini", base_url=srv.base_url, api_key=KEY, max_retries=0)
        lc = asyncio.run(LangChainBackend(chat).structured(req(schema=capped)))
        assert lc.route == "json_schema" and "text" in extract_json(lc.text)
        sent = srv.requests[-1]["response_format"]["json_schema"]
        assert sent["strict"] is True and "maxLength" not in json.dumps(sent["schema"])


def test_langchain_reasoning_model_over_http() -> None:
    """LangChain's ChatOpenAI as a reasoning model: no temperature, the effort sent, max_completion_tokens,
    reasoning tokens read from the usage metadata."""
    from langchain_openai import ChatOpenAI

    from agents.models.langchain_backend import LangChainBackend

    with FakeOpenAI(rejects=REASONING, reasoning_tokens=80) as srv:
        chat = ChatOpenAI(model="o3-mini", base_url=srv.base_url, api_key=KEY, max_retries=0)
        model = LangChainBackend(chat, reasoning_effort="high")
        c = asyncio.run(model.structured(req(max_tokens=600)))
        body = srv.requests[-1]
    assert model.name.endswith("?reasoning_effort=high") and extract_json(c.text)["choice"] in ("Alex", "Bea")
    assert "temperature" not in body and "max_tokens" not in body and body["max_completion_tokens"] == 600
    assert body["reasoning_effort"] == "high" and c.reasoning_tokens == 160 and c.finish_reason == "stop"


def test_reasoning_tokens_reach_the_model_calls_table(server: FakeOpenAI, tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    common = {"game_id": "g", "day": 1, "phase": "roundtable", "audience": (), "player": "Alex"}
    common |= {"purpose": "vote", "model": "m", "route": "json_schema", "request_hash": "h" * 64}
    log = CallLog.for_store(store)
    log.append([ModelCall(seq=3, reasoning_tokens=42, completion_tokens=50, **common)])
    assert [r["reasoning_tokens"] for r in call_rows(store)] == [42]
