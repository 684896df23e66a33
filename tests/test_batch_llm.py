"""Batches of LLM games against the fake OpenAI server: 50 concurrent games on SQLite and PostgreSQL with
injected 429s and no errors, and token budgets that stop new games while running ones finish."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from agents.models.fake_server import FakeOpenAI
from agents.models.tables import model_calls
from traitors.batch import run_batch
from traitors.batch.limits import AdaptiveGate
from traitors.batch.spec import parse_experiment
from traitors.store import Store, events, games

TINY = "name: tiny\nplayers: 5\ntraitors: 1\nmax_days: 3\nbeliefs: {enabled: false}\nnight: {turns: 0}\n"


def llm_experiment(base_url: str, n: int, name: str = "llm", mixed: bool = False, **extra: object):
    """``n`` games of the fake model (or, ``mixed``, some fake-model seats and some heuristic)."""
    spec = f"openai:fake?base_url={base_url}"
    who = (
        {"populations": [{"name": "mixed", "agents": {spec: 3, "heuristic": 2}}]}
        if mixed
        else {"models": [spec]}
    )
    return parse_experiment({"name": name, "games": n, "seed": 3, **who, **extra})


def test_fifty_concurrent_llm_games_without_errors(db_url: str, tmp_path: Path) -> None:
    """50 games in flight at once (two worker processes × 25) against one database."""
    (tmp_path / "tiny.yaml").write_text(TINY)
    with FakeOpenAI(latency=0.005, faults={"rate_limit": 0.03}, retry_after=0.01) as server:
        result = run_batch(
            llm_experiment(
                server.base_url, 50, mixed=True, scenarios=[str(tmp_path / "tiny.yaml")], memory=False
            ),
            db=db_url,
            backend="process",  # two processes writing at once, 25 games in flight in each
            workers=2,
            concurrency=50,
            progress=False,
        )
        assert server.injected["rate_limit"] > 0, "the test should see 429s"
    assert Counter(o.status for o in result.outcomes) == {"finished": 50}, [o.error for o in result.outcomes]
    assert result.tokens > 0 and result.backoffs >= 1, "429s should shrink the games-in-flight limit"
    with Store(db_url) as store, store.engine.connect() as conn:
        types = Counter(dict(conn.execute(select(events.c.type, func.count()).group_by(events.c.type)).all()))
        assert types["game_ended"] == 50 and types["decision_fallback"] == 0
        assert conn.execute(select(func.count()).select_from(model_calls)).scalar() >= types["model_call"]
        retried = conn.execute(select(func.count()).where(model_calls.c.attempts > 1)).scalar()
        assert retried > 0, "429s were retried, not turned into fallbacks"
        rows = conn.execute(select(games.c.status, games.c.n_events)).all()
        per_game = dict(conn.execute(select(events.c.game_id, func.count()).group_by(events.c.game_id)).all())
    assert {r.status for r in rows} == {"finished"} and sum(r.n_events for r in rows) == sum(
        per_game.values()
    )


def test_token_budget_stops_new_games_and_lets_running_ones_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'budget.db'}"
    with FakeOpenAI(latency=0.0) as server:
        exp = llm_experiment(server.base_url, 8, name="budget", memory=False, scenarios=["quick"])
        capped = run_batch(exp, db=url, backend="local", concurrency=2, max_tokens=20_000, progress=False)
        statuses = Counter(o.status for o in capped.outcomes)
        assert capped.stopped is not None and "token budget" in capped.stopped
        assert statuses["finished"] >= 1 and statuses["not_started"] >= 1
        assert statuses["failed"] == statuses["stopped"] == 0  # running games were not cut short
        with Store(url) as store:
            assert not store.games(status="running")
        rest = run_batch(exp, db=url, backend="local", concurrency=2, progress=False)
    assert rest.count("skipped") == statuses["finished"] and rest.count("finished") == statuses["not_started"]


def test_adaptive_gate_halves_on_retries_once_per_window_and_grows_back() -> None:
    gate = AdaptiveGate(8)
    assert gate.observe(calls=0, retried=0) is False  # phases without model calls say nothing
    assert gate.observe(calls=6, retried=2) is True and gate.limit == 4
    assert [gate.observe(6, 1) for _ in range(3)] == [False] * 3 and gate.limit == 4  # same burst
    assert gate.observe(6, 1) is True and gate.limit == 2 and gate.lowest == 2
    for _ in range(2):
        gate.observe(6, 0)
    assert gate.limit == 3 and gate.backoffs == 2

    async def crowd() -> list[int]:
        seen: list[int] = []

        async def game() -> None:
            async with gate:
                seen.append(gate.active)
                await asyncio.sleep(0.001)

        await asyncio.gather(*(game() for _ in range(10)))
        return seen

    assert max(asyncio.run(crowd())) == 3 and gate.active == 0
