"""Helpers for the LLM tests: a fake OpenAI-compatible server fixture, its environment, event dumps."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from agents.models.fake_server import FakeOpenAI
from agents.models.tables import llm_cache, model_calls
from traitors.events import event_to_json
from traitors.store import Store

KEY = "sk-test-SECRET0123456789abcdef"
SPEC = "openai:gpt-4o-mini"


@pytest.fixture(name="server")
def server_fixture() -> Iterator[FakeOpenAI]:
    """A fault-free fake server on a free port."""
    with FakeOpenAI() as srv:
        yield srv


@pytest.fixture(name="openai_env")
def openai_env_fixture(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """OPENAI_BASE_URL and OPENAI_API_KEY pointing at the fake server."""
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return server


def event_lines(store: Store, game_id: str) -> list[str]:
    """The game's events as canonical JSON lines."""
    return [event_to_json(e) for e in store.load_events(game_id)]


def call_rows(store: Store, game_id: str | None = None) -> list[dict]:
    """``model_calls`` rows (of one game, or all)."""
    query = select(model_calls).order_by(model_calls.c.id)
    if game_id is not None:
        query = query.where(model_calls.c.game_id == game_id)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def prompts_by_call(store: Store) -> list[tuple[dict, str]]:
    """(model_calls row, full prompt text) for every recorded call that reached the cache."""
    with store.engine.connect() as conn:
        cache = {r.request_hash: json.loads(r.request) for r in conn.execute(select(llm_cache))}
    out = []
    for row in call_rows(store):
        request = cache.get(row["request_hash"])
        if request is not None:
            out.append((row, "\n".join(m["content"] for m in request["messages"])))
    return out
