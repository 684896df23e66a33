"""The SQL event store: round trips, idempotent appends, summaries, pragmas and clear errors."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from agents.random_agent import RandomAgent
from traitors.config import Scenario
from traitors.engine import Game
from traitors.events import PlayerInfo, event_to_json
from traitors.state import replay
from traitors.store import Store, StoreError

SCENARIO = Scenario(name="paper", players=10, traitors=3)


def play(store: Store | None, seed: int, game_id: str | None = None, scenario: Scenario = SCENARIO):
    """Play one random-agent game into ``store``."""
    players = [PlayerInfo(name=n, agent="random") for n in scenario.player_names()]
    agents = {p.name: RandomAgent() for p in players}
    game = Game.create(game_id or f"g{seed}", scenario, seed, players, agents, store)
    return asyncio.run(game.run())


def test_events_round_trip_and_replay_equals_final_state(db_url: str) -> None:
    with Store(db_url) as store:
        final = play(store, seed=5)
        loaded = store.load_events("g5")
    assert [event_to_json(e) for e in loaded] == [event_to_json(e) for e in final.events]
    assert replay(loaded) == final


def test_summary_row_tracks_the_game(db_url: str) -> None:
    with Store(db_url) as store:
        final = play(store, seed=1)
        row = store.game("g1")
        assert row is not None
        assert (row["status"], row["winner"], row["days"], row["n_events"]) == (
            "finished",
            final.winner,
            final.day,
            final.seq,
        )
        assert (row["scenario"], row["seed"], row["n_players"], row["n_traitors"], row["agents"]) == (
            "paper",
            1,
            10,
            3,
            "random",
        )
        assert [g["game_id"] for g in store.games(status="finished")] == ["g1"]
        assert store.find_games("g") == ["g1"] and store.find_games("x") == []


def test_appends_are_idempotent_and_conflicts_refused(db_url: str) -> None:
    with Store(db_url) as store:
        final = play(store, seed=2)
        store.append(final.events[:5])  # replaying a stored batch changes nothing
        assert len(store.load_events("g2")) == final.seq
        forged = final.events[3].model_copy(update={"day": 99})
        with pytest.raises(StoreError, match="different event is already stored at seq 3"):
            store.append([forged])


def test_many_concurrent_games_share_one_store(db_url: str) -> None:
    players = [PlayerInfo(name=n, agent="random") for n in SCENARIO.player_names()]

    async def main() -> list:
        games = [
            Game.create(f"c{s}", SCENARIO, s, players, {p.name: RandomAgent() for p in players}, store)
            for s in range(20)
        ]
        return await asyncio.gather(*(g.run() for g in games))

    with Store(db_url) as store:
        finals = asyncio.run(main())
        for final in finals:
            assert replay(store.load_events(final.game_id)) == final
        assert len(store.games(status="finished")) == 20


def test_sqlite_is_tuned_and_survives_reopening(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with Store(url) as store:
        final = play(store, seed=3)
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    with Store(url, create=False) as reopened:
        assert replay(reopened.load_events("g3")) == final


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense", "invalid database URL 'nonsense'"),
        ("nosuchdialect://x", "driver not available"),
        ("postgresql+psycopg://user:hunter2@127.0.0.1:1/db", "cannot open database"),
    ],
)
def test_bad_urls_fail_with_one_line_and_no_password(url: str, expected: str) -> None:
    with pytest.raises(StoreError) as info:
        Store(url)
    message = str(info.value)
    assert expected in message and "\n" not in message and "hunter2" not in message


def test_reading_a_missing_sqlite_file_does_not_create_it(tmp_path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no database at"):
        Store(f"sqlite:///{path}", create=False)
    assert not path.exists()


def test_a_64_bit_seed_is_stored_on_every_backend(db_url: str) -> None:
    from traitors.runner import run_game

    with Store(db_url) as store:
        state = run_game("quick", seed=2**63 - 1, agents="random", db=store, memory=False)
        assert store.game(state.game_id)["seed"] == 2**63 - 1
        assert store.load_events(state.game_id)[0].seed == 2**63 - 1
