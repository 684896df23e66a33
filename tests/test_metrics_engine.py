"""Integration: games played by the engine with random agents (recruitment, endgame, shields on), read by
load_frames, checked against an independent fold of the same events with traitors.state."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pytest

from agents.random_agent import RandomAgent
from metrics import METRICS, compute_metrics, load_frames, summarize
from traitors.config import Endgame, Missions, Recruitment, Scenario
from traitors.engine import Game
from traitors.events import BeliefReported, PlayerInfo, VoteCast
from traitors.state import GameState, apply, replay
from traitors.store import Store

SCENARIO = Scenario(
    name="recruiting",
    players=8,
    traitors=2,
    recruitment=Recruitment(enabled=True),
    endgame=Endgame(enabled=True, at_players=4),
    missions=Missions(enabled=True),
)
SEEDS = range(16)
BELIEF_COLUMNS = [
    "game_id",
    "day",
    "round",
    "observer",
    "observer_role",
    "target",
    "target_role",
    "p_traitor",
    "decided_by",
]
VOTE_COLUMNS = [
    "game_id",
    "day",
    "round",
    "kind",
    "ballot",
    "voter",
    "voter_role",
    "target",
    "target_role",
    "valid",
    "decided_by",
]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('engine')}/games.db")
    names = SCENARIO.player_names()
    for seed in SEEDS:
        players = [PlayerInfo(name=n, agent="random" if i % 2 else "random-b") for i, n in enumerate(names)]
        game = Game.create(
            f"e{seed:02d}", SCENARIO, seed, players, {n: RandomAgent() for n in names}, sink=store
        )
        asyncio.run(game.run())
    return store


def _round(state: GameState, event: VoteCast | BeliefReported) -> int | None:
    """The round table of a vote or report from the engine's own count (``GameState.rounds``: first
    banishment ballots counted so far)."""
    if isinstance(event, BeliefReported) or (event.kind == "banish" and event.ballot == 1):
        return state.rounds + 1
    return state.rounds if event.kind in ("banish", "endgame") else None


def _fold(store: Store) -> tuple[pd.DataFrame, pd.DataFrame, list[GameState]]:
    """Votes and beliefs with the roles of the state *before* each event, by replaying event by event."""
    votes, beliefs, finals = [], [], []
    for seed in SEEDS:
        state = GameState()
        for event in store.load_events(f"e{seed:02d}"):
            if isinstance(event, VoteCast):
                votes.append(
                    (
                        event.game_id,
                        event.day,
                        _round(state, event),
                        event.kind,
                        event.ballot,
                        event.voter,
                        state.roles[event.voter],
                        event.target,
                        state.roles.get(event.target),
                        event.valid,
                        event.decided_by,
                    )
                )
            if isinstance(event, BeliefReported):
                beliefs += [
                    (
                        event.game_id,
                        event.day,
                        _round(state, event),
                        event.observer,
                        state.roles[event.observer],
                        t,
                        state.roles[t],
                        p,
                        event.decided_by,
                    )
                    for t, p in sorted(event.beliefs.items())
                ]
            state = apply(state, event)
        finals.append(state)
    return (
        pd.DataFrame(votes, columns=VOTE_COLUMNS),
        pd.DataFrame(
            beliefs,
            columns=BELIEF_COLUMNS,
        ),
        finals,
    )


def test_frames_match_an_independent_fold(played: Store) -> None:
    frames = load_frames(played)
    votes, beliefs, finals = _fold(played)
    got = frames["votes"].astype(object).where(frames["votes"].notna(), None)
    pd.testing.assert_frame_equal(got, votes.astype(object).where(votes.notna(), None), check_dtype=False)
    types = {"p_traitor": float, "day": int, "round": int}
    got = frames["beliefs"].astype(object).astype(types)
    pd.testing.assert_frame_equal(got, beliefs.astype(object).astype(types))
    players = frames["players"].set_index(["game_id", "player"])
    for state in finals:
        for name in state.names:
            row = players.loc[(state.game_id, name)]
            assert row["final_role"] == state.roles[name]
            assert row["initial_role"] == state.initial_roles[name]
            assert bool(row["alive_at_end"]) == (name in state.alive)
    assert frames["games"]["winner"].tolist() == [s.winner for s in finals]
    assert (frames["players"]["initial_role"] != frames["players"]["final_role"]).any(), (
        "no recruitment played"
    )


def test_metrics_defined_and_in_range(played: Store) -> None:
    frames = load_frames(played)
    metrics = compute_metrics(frames)
    game_level = metrics[metrics["player"].isna()]
    assert game_level.groupby("metric").size().eq(len(SEEDS)).all()
    for name, info in METRICS.items():
        values = metrics.loc[metrics["metric"] == name, "value"].dropna()
        assert info.low is None or (values >= info.low - 1e-9).all(), name
        assert info.high is None or (values <= info.high + 1e-9).all(), name
    assert (metrics.loc[metrics["value"].isna(), "n"] == 0).all()
    defined = game_level.dropna(subset=["value"]).groupby("metric")["value"].size()
    for name in ("FCR", "FAS", "TAS", "TSR", "FSR", "IDR", "TNS", "brier", "traitor_win", "net_density"):
        assert defined.get(name, 0) == len(SEEDS), name
    win = metrics[metrics["metric"] == "win"].merge(frames["players"], on=["game_id", "player"])
    winners = frames["games"].set_index("game_id")["winner"]
    side = win["final_role"].astype(object).map({"traitor": "traitors", "faithful": "faithful"})
    assert np.array_equal(win["value"].to_numpy() == 1, (side == win["game_id"].map(winners)).to_numpy())


def test_summary_by_population_and_model(played: Store) -> None:
    frames = load_frames(played, {"game_ids": ["e00", "e01", "e02"]})
    table = summarize(compute_metrics(frames), frames, by=["population", "model"], n_boot=100)
    assert set(table["population"]) == {"random+random-b"}
    assert {"random", "random-b"} <= set(table["model"])  # player-level rows: each player's own model
    assert set(table.loc[table["metric"] == "FCR", "model"]) <= {"mixed", "random", "random-b"}
    assert replay(played.load_events("e00")).ended
