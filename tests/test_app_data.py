"""The app's data layer: a small database with offline games and one game played by a fake "LLM" agent
(model calls, cached prompts, memory, hostile text), the read-only engine, and the pure replay model.

``build_db`` is shared with the page tests and the browser test.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from agents.random_agent import RandomAgent
from app import db
from app.replay_model import ReplayView, ballots, eliminations, timeline, transcript_rows
from app.trust import belief_matrix, days_with_data, trust_edges
from metrics import load_frames
from traitors.config import Scenario
from traitors.decisions import Decision, DecisionRequest
from traitors.engine import Game
from traitors.events import BeliefReported, ModelCall, ModelCallRecord, PlayerInfo, Statement, VoteCast
from traitors.state import replay
from traitors.store import Store, StoreError
from traitors.views import PlayerView

HOSTILE = '<b id="injected">pwned</b> **bold** [click](javascript:alert(1)) <script>alert(1)</script>'
PAPER = Scenario(name="paper", players=10, traitors=3)
QUICK = Scenario(name="quick", players=6, traitors=1)
LLM_GAME = "llm-game"
#: The start of the fake LLM agent's private reasoning (then the player, the decision kind, the day).
REASONING = "REASONING-"


class FakeLLMAgent(RandomAgent):
    """A random agent that pretends to call a model for every decision and says something hostile."""

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """The random decision, with one recorded model call."""
        decision = await super().act(view, request)
        digest = hashlib.sha256(
            f"{view.game_id}|{view.me}|{request.kind}|{view.day}|{len(view.events)}".encode()
        )
        call = ModelCallRecord(
            purpose=request.kind,
            model="openai:fake-gpt",
            route="structured",
            prompt_tokens=120,
            completion_tokens=30,
            request_hash=digest.hexdigest(),
        )
        update: dict = {
            "calls": (call,),
            "reasoning": f"{REASONING}{view.me}-{request.kind}-{view.day} {HOSTILE}",
        }
        if request.kind == "speak":
            update["text"] = f"{HOSTILE} ({view.me})"
        return decision.model_copy(update=update)


def _play(store: Store, game_id: str, scenario: Scenario, seed: int, kind: str = "random") -> None:
    players = [PlayerInfo(name=n, agent=kind) for n in scenario.player_names()]
    cls = FakeLLMAgent if kind != "random" else RandomAgent
    game = Game.create(game_id, scenario, seed, players, {p.name: cls() for p in players}, store)
    asyncio.run(game.run())


def _llm_tables(store: Store) -> None:
    """model_calls, llm_cache and memory_items rows for the fake LLM game, as agents/ and memory/ write."""
    from agents.models.tables import ensure_tables, llm_cache, model_calls
    from memory.tables import create_tables, memory_items

    ensure_tables(store.engine)
    create_tables(store.engine)
    now = datetime.now(UTC)
    calls = [e for e in store.load_events(LLM_GAME) if isinstance(e, ModelCall)]
    with store.engine.begin() as conn:
        conn.execute(
            insert(model_calls),
            [
                {
                    "game_id": LLM_GAME,
                    "player": c.player,
                    "day": c.day,
                    "phase": c.phase,
                    "purpose": c.purpose,
                    "model": c.model,
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                    "cached_tokens": 0,
                    "latency_ms": 5.0,
                    "cost_usd": 0.001,
                    "attempts": 1,
                    "outcome": "ok",
                    "cache_hit": False,
                    "request_hash": c.request_hash,
                    "created_at": now,
                }
                for c in calls
            ],
        )
        conn.execute(
            insert(llm_cache),
            [
                {
                    "request_hash": c.request_hash,
                    "model": c.model,
                    "created_at": now,
                    "request": json.dumps(
                        {
                            "messages": [
                                {"role": "system", "content": "You play The Traitors."},
                                {"role": "user", "content": f"PROMPT-{c.seq} {HOSTILE}"},
                            ]
                        }
                    ),
                    "response": json.dumps({"text": f"REPLY-{c.seq}"}),
                }
                for c in {c.request_hash: c for c in calls}.values()
            ],
        )
        conn.execute(
            insert(memory_items),
            [
                {
                    "identity": f"{LLM_GAME}/Alex",
                    "game_id": LLM_GAME,
                    "player": "Alex",
                    "day": d,
                    "phase": "night",
                    "kind": "reflection",
                    "content": f"MEMORY-day{d} {HOSTILE}",
                    "importance": 0.5,
                    "source_seq": d,
                }
                for d in (1, 2)
            ],
        )


def build_db(path: Path) -> str:
    """A SQLite file with three paper games, one quick game and one fake-LLM quick game; returns its URL."""
    url = f"sqlite:///{path}"
    with Store(url) as store:
        for seed in (1, 2, 3):
            _play(store, f"paper-{seed}", PAPER, seed)
        _play(store, "quick-4", QUICK, 4)
        _play(store, LLM_GAME, QUICK, 5, kind="openai:fake-gpt")
        _llm_tables(store)
    return url


@pytest.fixture(scope="module")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shared test database (built once per module)."""
    return build_db(tmp_path_factory.mktemp("appdb") / "games.db")


def test_readonly_engine_reads_and_refuses_writes(app_db: str) -> None:
    engine = db.open_readonly(app_db)
    assert db.has_games(engine)
    with pytest.raises(Exception, match="readonly"), engine.begin() as conn:
        conn.execute(text("DELETE FROM games"))
    assert len(db.list_games(engine)[0]) == 5


@pytest.mark.parametrize("name", ["a#b.db", "what?.db", "100%.db", "my games.db", "x#?mode=rwc.db"])
def test_readonly_for_paths_with_uri_characters(tmp_path: Path, name: str) -> None:
    """``#``, ``?``, ``%`` and spaces in the path: still read-only, no stray file, the right database."""
    folder = tmp_path / "odd #dir"
    folder.mkdir()
    with Store(f"sqlite:///{folder / name}") as store:
        _play(store, "g1", QUICK, 1)
    before = sorted(p.name for p in folder.iterdir())
    engine = db.open_readonly(f"sqlite:///{folder / name}")
    try:
        assert db.load_events(engine, "g1")[0].game_id == "g1"
        with pytest.raises(Exception, match="readonly"), engine.begin() as conn:
            conn.execute(text("DELETE FROM games"))
        assert len(db.list_games(engine)[0]) == 1
    finally:
        engine.dispose()
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        n for n in before if not n.endswith(("-wal", "-shm"))
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd #dir"]


def test_readonly_on_every_backend(db_url: str) -> None:
    with Store(db_url) as store:
        _play(store, "g1", QUICK, 1)
    engine = db.open_readonly(db_url)
    try:
        assert db.load_events(engine, "g1")[0].game_id == "g1"
        with pytest.raises(Exception, match=r"(?i)read-?only"), engine.begin() as conn:
            conn.execute(text("UPDATE games SET winner = 'nobody'"))
        assert db.list_games(engine)[0]["winner"].tolist() != ["nobody"]
        today = datetime.now(UTC).date()
        assert db.list_games(engine, db.GameFilter(models=("random",), since=today, until=today))[1] == 1
        assert db.list_games(engine, db.GameFilter(until=today - timedelta(days=2)))[1] == 0
    finally:
        engine.dispose()


def test_missing_and_empty_databases(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        db.has_games(db.open_readonly(f"sqlite:///{tmp_path / 'none.db'}"))
    Store(f"sqlite:///{tmp_path / 'empty.db'}").close()
    assert not db.has_games(db.open_readonly(f"sqlite:///{tmp_path / 'empty.db'}"))


def test_list_filters_match_the_games_frame(app_db: str) -> None:
    engine = db.open_readonly(app_db)
    frames = load_frames(engine)
    games, total = db.list_games(engine, db.GameFilter(scenarios=("paper",)))
    assert total == 3 and set(games["game_id"]) == {"paper-1", "paper-2", "paper-3"}
    expected = frames["games"].set_index("game_id").loc[games["game_id"], ["winner", "days"]]
    assert games.set_index("game_id")[["winner", "days"]].equals(expected)
    assert db.list_games(engine, db.GameFilter(models=("openai:fake-gpt",)))[1] == 1
    winner = frames["games"]["winner"].iloc[0]
    assert (
        db.list_games(engine, db.GameFilter(winners=(winner,)))[1]
        == (frames["games"]["winner"] == winner).sum()
    )
    assert db.filter_options(engine)["model"] == ["openai:fake-gpt", "random"]


def test_replay_model_matches_views_and_metrics_frames(app_db: str) -> None:
    engine = db.open_readonly(app_db)
    events = db.load_events(engine, "paper-1")
    last = len(events) - 1
    full = ReplayView(events, last)
    assert full.state == replay(events) and len(full.shown) == len(events)
    votes = load_frames(engine, {"game_ids": ["paper-1"]})["votes"]
    first = votes[(votes["kind"] == "banish") & (votes["ballot"] == 1)]
    shown = [b for b in ballots(full.shown) if b.kind == "banish" and b.ballot == 1]
    assert sum(len(b.votes) for b in shown) == len(first)
    assert [t for b in shown for t in b.votes["target"]] == first["target"].tolist()
    spans = timeline(events)
    assert spans["events"].sum() == len(events) and spans["first_seq"].iloc[0] == 0
    assert (
        len(eliminations(full.shown))
        == (~load_frames(engine, {"game_ids": ["paper-1"]})["players"]["alive_at_end"]).sum()
    )
    faithful = next(p for p, r in full.state.roles.items() if r == "faithful")
    pov = ReplayView(events, last, faithful)
    assert all(e.visible_to(faithful) for e in pov.shown)
    assert not any(isinstance(e, Statement) and e.channel == "traitors" for e in pov.shown)
    assert set(pov.known_roles()) <= {
        faithful,
        *[e.player for e in pov.shown if getattr(e, "revealed_role", None)],
    }
    assert not any(r["text"].startswith("The Traitors are") for r in transcript_rows(pov.shown))


def test_trust_edges_and_matrix(app_db: str) -> None:
    events = db.load_events(db.open_readonly(app_db), "paper-2")
    shown = ReplayView(events, len(events) - 1).shown
    days = days_with_data(shown)
    edges = trust_edges(shown, days[0])
    assert not edges.empty and edges["trust"].between(0, 1).all()
    without_beliefs = [e for e in shown if not isinstance(e, BeliefReported)]
    votes = trust_edges(without_beliefs, days[0])
    first = [
        e
        for e in shown
        if isinstance(e, VoteCast) and e.kind == "banish" and e.ballot == 1 and e.day == days[0]
    ]
    assert set(votes["source"]) == {"votes"} and (votes["trust"] == 0).all()
    assert list(zip(votes["observer"], votes["target"], strict=True)) == [(v.voter, v.target) for v in first]
    matrix = belief_matrix(shown)
    assert list(matrix.columns) == sorted(matrix.columns) and matrix.stack().dropna().between(0, 1).all()


def test_optional_tables_and_llm_cache(app_db: str, tmp_path: Path) -> None:
    engine = db.open_readonly(app_db)
    memory = db.optional_rows(engine, "memory_items", LLM_GAME, "Alex")
    assert memory is not None and len(memory) == 2
    calls = [e for e in db.load_events(engine, LLM_GAME) if isinstance(e, ModelCall)]
    exchange = db.cached_llm_exchange(engine, calls[0].request_hash)
    assert exchange is not None and f"PROMPT-{calls[0].seq}" in exchange["request"]
    bare = f"sqlite:///{tmp_path / 'bare.db'}"
    Store(bare).close()
    assert db.optional_rows(db.open_readonly(bare), "memory_items", "g", "Alex") is None
    assert db.cached_llm_exchange(db.open_readonly(bare), "abc") is None


def test_replay_command_runs_streamlit_on_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from typer.testing import CliRunner

    from traitors.cli import app as cli

    seen: list[list[str]] = []

    def execv(path: str, command: list[str]) -> None:
        seen.append(command)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execv", execv)
    monkeypatch.setenv("TRAITORS_DB", "sqlite:///before.db")  # restored after the test
    url = "postgresql+psycopg://reader:s3cret-pw@localhost/traitors"
    result = CliRunner().invoke(cli, ["replay", "--db", url, "--port", "8600", "--no-browser"])
    assert result.exit_code == 0, result.output
    command = seen[0]
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("app/main.py")
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.headless") + 1] == "true"
    assert not any("s3cret" in part or "postgresql" in part for part in command)  # not visible in ps
    assert os.environ["TRAITORS_DB"] == url  # the app's db_url() falls back to it


FALLBACK_GAME = "fallback-game"


@pytest.fixture(scope="module")
def fallback_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database with one game whose LLM seats' endpoint is dead and with a stubborn seat."""
    from tests.fallback_games import play_fallback_game

    url = f"sqlite:///{tmp_path_factory.mktemp('fallbacks') / 'games.db'}"
    with Store(url) as store:
        play_fallback_game(store, FALLBACK_GAME, 3)
    return url


def test_replay_model_marks_fallbacks(fallback_db: str) -> None:
    from app.replay_model import beliefs, fallback_counts

    engine = db.open_readonly(fallback_db)
    events = db.load_events(engine, FALLBACK_GAME)
    full = ReplayView(events, len(events) - 1)
    said = [r for r in transcript_rows(full.shown) if r["speaker"] is not None]
    assert [r["decided_by"] for r in said] == [e.decided_by for e in events if isinstance(e, Statement)]
    assert "fallback" in {r["decided_by"] for r in said}
    cast = [d for b in ballots(full.shown) for d in b.votes["decided_by"]]
    assert cast == [e.decided_by for e in events if isinstance(e, VoteCast)] and "fallback" in cast
    reports = beliefs(full.shown)
    assert (reports["decided_by"] == "fallback").sum() == sum(
        len(e.beliefs) for e in events if isinstance(e, BeliefReported) and e.decided_by == "fallback"
    )
    counts = fallback_counts(full.shown, full.state.players).set_index("player")
    players = load_frames(engine)["players"].set_index("player")
    assert counts["decisions"].to_dict() == players["decisions"].to_dict()
    assert counts["fallbacks"].to_dict() == players["fallbacks"].to_dict()
    assert (counts["fallbacks"] > 0).sum() >= 2
    seat = next(
        p for p, r in full.state.initial_roles.items() if r == "faithful" and counts.loc[p, "fallbacks"]
    )
    mine = fallback_counts(ReplayView(events, len(events) - 1, seat).shown, full.state.players)
    assert mine.set_index("player").loc[seat, "decisions"] <= counts.loc[seat, "decisions"]


def test_private_reasoning_is_shown_to_the_host_and_its_player_only(app_db: str) -> None:
    events = db.load_events(db.open_readonly(app_db), LLM_GAME)
    last = len(events) - 1
    everyone = ReplayView(events, last).reasoning()
    assert len(everyone) > 10 and set(everyone["player"]) == {p.name for p in events[0].players}
    assert everyone["text"].str.startswith(REASONING).all()
    alex = ReplayView(events, last, "Alex")
    assert set(alex.reasoning()["player"]) == {"Alex"} and alex.reasoning("Bea").empty
    assert ReplayView(events, last).reasoning("Bea")["text"].str.startswith(f"{REASONING}Bea-").all()
    early = ReplayView(events, 20, "Alex").reasoning()
    assert (early["seq"] <= 20).all() and len(early) < len(alex.reasoning())
