"""load_frames on hand-built event logs: the §4 columns, roles as they were when a fact happened (a
Faithful recruited at night votes as a Traitor the next day), revotes and invalid votes kept as rows.

``hand_game`` (also used by the other metric tests) writes this game, whose metrics are computed by hand
in test_metrics_paper.py:

    players A B C D E F, Traitors E F
    day 1  beliefs; votes A→E B→E C→D D→E E→A F→A; E banished (Traitor); night: C recruited (accepts)
    day 2  beliefs; votes A→C B→D C→D D(invalid) F→C: tie C/D → revote A→C B→D C→D D→C F→D;
           D banished (Faithful); night: murder votes C→A F→B, A murdered; Traitors win (2 vs 1)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from metrics import SCHEMA, Filters, load_frames
from traitors.config import Scenario
from traitors.events import (
    Banished,
    BeliefReported,
    DayStarted,
    GameCreated,
    GameEnded,
    Murdered,
    PlayerInfo,
    RecruitAnswered,
    RecruitOffered,
    RolesAssigned,
    Statement,
    VoteCast,
    VoteResult,
)
from traitors.store import Store

NAMES = ("A", "B", "C", "D", "E", "F")
BELIEFS_1 = {
    "A": {"B": 0.1, "C": 0.2, "D": 0.2, "E": 0.8, "F": 0.8},
    "B": {"A": 0.5, "C": 0.5, "D": 0.5, "E": 0.5, "F": 0.5},
    "C": {"A": 0.9, "B": 0.1, "D": 0.1, "E": 0.1, "F": 0.1},
    "D": {"A": 0.3, "B": 0.3, "C": 0.3, "E": 0.3, "F": 0.6},
    "E": {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5, "F": 0.0},
}
BELIEFS_2 = {
    "A": {"B": 0.1, "C": 0.6, "D": 0.2, "F": 0.4},
    "B": {"A": 0.3, "C": 0.2, "D": 0.9, "F": 0.1},
    "C": {"A": 0.1, "B": 0.1, "D": 0.1, "F": 0.1},
    "D": {"A": 0.5, "B": 0.5, "C": 0.5, "F": 0.5},
}


class Log:
    """Appends events with consecutive seq numbers."""

    def __init__(
        self, game_id: str, names: tuple[str, ...], traitors: tuple[str, ...], model: str = "m1"
    ) -> None:
        self.game_id, self.events = game_id, []
        scenario = Scenario(name="hand", players=len(names), traitors=len(traitors), names=names)
        players = tuple(PlayerInfo(name=n, agent=model, persona=f"p-{n}") for n in names)
        self.add(
            GameCreated,
            0,
            "setup",
            scenario="hand",
            config=scenario.model_dump(mode="json"),
            seed=7,
            players=players,
            audience=(),
        )
        self.add(
            RolesAssigned,
            0,
            "setup",
            roles={n: "traitor" if n in traitors else "faithful" for n in names},
            audience=(),
        )

    def add(self, cls: type, day: int, phase: str, **fields: object) -> None:
        self.events.append(cls(game_id=self.game_id, seq=len(self.events), day=day, phase=phase, **fields))

    def votes(self, day: int, ballots: dict[str, str | None], kind: str = "banish", ballot: int = 1) -> None:
        phase = "roundtable" if kind == "banish" else "night"
        for voter, target in ballots.items():
            self.add(
                VoteCast,
                day,
                phase,
                kind=kind,
                ballot=ballot,
                voter=voter,
                target=target,
                valid=target is not None,
            )

    def beliefs(self, day: int, reports: dict[str, dict[str, float]]) -> None:
        for observer, beliefs in reports.items():
            self.add(
                BeliefReported, day, "roundtable", observer=observer, beliefs=beliefs, audience=(observer,)
            )


def hand_log(game_id: str = "g1", rename: dict[str, str] | None = None, model: str = "m1") -> list:
    """The game of the module docstring (names optionally renamed)."""
    r = rename or {n: n for n in NAMES}
    log = Log(game_id, tuple(r[n] for n in NAMES), (r["E"], r["F"]), model)
    log.add(DayStarted, 1, "breakfast")
    log.add(
        Statement,
        1,
        "roundtable",
        speaker=r["A"],
        channel="public",
        turn=0,
        text="I suspect E, 100% & _sure_",
    )
    log.beliefs(1, {r[o]: {r[t]: p for t, p in b.items()} for o, b in BELIEFS_1.items()})
    log.votes(1, {r[v]: r[t] for v, t in dict(A="E", B="E", C="D", D="E", E="A", F="A").items()})
    log.add(
        VoteResult,
        1,
        "roundtable",
        kind="banish",
        ballot=1,
        counts={r["E"]: 3, r["A"]: 2, r["D"]: 1},
        outcome="decided",
        target=r["E"],
    )
    log.add(Banished, 1, "roundtable", player=r["E"], revealed_role="traitor")
    log.add(Statement, 1, "night", speaker=r["F"], channel="traitors", turn=0, text="C?", audience=(r["F"],))
    log.votes(1, {r["F"]: r["C"]}, kind="recruit")
    log.add(RecruitOffered, 1, "night", player=r["C"], ultimatum=False, audience=(r["F"], r["C"]))
    log.add(RecruitAnswered, 1, "night", player=r["C"], accepted=True, audience=(r["F"], r["C"]))
    log.add(DayStarted, 2, "breakfast")
    log.add(Statement, 2, "roundtable", speaker=r["C"], channel="public", turn=0, text="Not me.")
    log.beliefs(2, {r[o]: {r[t]: p for t, p in b.items()} for o, b in BELIEFS_2.items()})
    log.votes(2, {r["A"]: r["C"], r["B"]: r["D"], r["C"]: r["D"], r["D"]: None, r["F"]: r["C"]})
    log.votes(2, {r[v]: r[t] for v, t in dict(A="C", B="D", C="D", D="C", F="D").items()}, ballot=2)
    log.add(Banished, 2, "roundtable", player=r["D"], revealed_role="faithful")
    log.votes(2, {r["C"]: r["A"], r["F"]: r["B"]}, kind="murder")
    log.add(Murdered, 2, "night", player=r["A"])
    roles = {r[n]: "traitor" if n in "CEF" else "faithful" for n in NAMES}
    log.add(GameEnded, 2, "night", winner="traitors", reason="parity", roles=roles)
    return log.events


def hand_store(tmp_path: Path, *logs: list) -> Store:
    """A fresh SQLite store holding the given event logs."""
    store = Store(f"sqlite:///{tmp_path}/t.db")
    for events in logs or (hand_log(),):
        store.append(events)
    return store


def test_columns_are_exactly_the_schema(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path))
    for table, columns in SCHEMA.items():
        assert list(frames[table].columns) == list(columns), table
    assert frames["model_calls"].empty


def test_games_and_players(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path))
    game = frames["games"].iloc[0]
    assert (game["game_id"], game["scenario"], game["seed"], game["n_players"], game["n_traitors"]) == (
        "g1",
        "hand",
        7,
        6,
        2,
    )
    assert (game["winner"], game["days"], game["status"]) == ("traitors", 2, "finished")
    p = frames["players"].set_index("player")
    assert list(p.index) == list(NAMES)
    assert p.loc["C", "initial_role"] == "faithful" and p.loc["C", "final_role"] == "traitor"
    assert p["alive_at_end"].to_dict() == dict(A=False, B=True, C=True, D=False, E=False, F=True)
    assert p["elimination"].to_dict() == dict(
        A="murdered", B="none", C="none", D="banished", E="banished", F="none"
    )
    assert p.loc["A", "eliminated_day"] == 2 and pd.isna(p.loc["B", "eliminated_day"])
    assert p.loc["A", "model"] == "m1" and p.loc["A", "persona"] == "p-A"


def test_votes_keep_roles_at_cast_time_revotes_and_invalid(tmp_path: Path) -> None:
    votes = load_frames(hand_store(tmp_path))["votes"]
    c = votes[votes["voter"] == "C"]
    assert list(c["voter_role"]) == ["faithful", "traitor", "traitor", "traitor"]  # recruited on night 1
    assert list(c["kind"]) == ["banish", "banish", "banish", "murder"]
    on_c = votes[(votes["target"] == "C") & (votes["kind"] == "banish")]
    assert list(on_c["target_role"]) == ["traitor"] * 4  # day 2: A and F, then A and D on the revote
    assert votes[(votes["kind"] == "recruit")]["target_role"].tolist() == ["faithful"]
    bad = votes[~votes["valid"]]
    assert len(bad) == 1 and bad.iloc[0]["voter"] == "D" and pd.isna(bad.iloc[0]["target"])
    assert pd.isna(bad.iloc[0]["target_role"])
    assert sorted(votes.loc[votes["day"] == 2, "ballot"].unique()) == [1, 2]


def test_beliefs_and_statements(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path))
    b = frames["beliefs"]
    assert len(b) == sum(len(x) for x in BELIEFS_1.values()) + sum(len(x) for x in BELIEFS_2.values())
    row = b[(b["day"] == 2) & (b["observer"] == "A") & (b["target"] == "C")].iloc[0]
    assert row["p_traitor"] == 0.6 and row["target_role"] == "traitor" and row["observer_role"] == "faithful"
    assert set(b[(b["day"] == 2) & (b["observer"] == "C")]["observer_role"]) == {"traitor"}
    s = frames["statements"]
    assert list(s["speaker_role"]) == ["faithful", "traitor", "traitor"]
    assert list(s["channel"]) == ["public", "traitors", "public"]
    assert s.iloc[0]["text"].startswith("I suspect E")


def test_filters_and_sources(tmp_path: Path) -> None:
    store = hand_store(tmp_path, hand_log("g1"), hand_log("g2", model="m2"))
    assert len(load_frames(store)["games"]) == 2
    only = load_frames(store.url, Filters(game_ids=["g2"]))
    assert list(only["games"]["game_id"]) == ["g2"] and set(only["votes"]["game_id"]) == {"g2"}
    assert set(only["players"]["model"]) == {"m2"}
    assert load_frames(store.engine, {"scenario": "nope"})["votes"].empty
    many = load_frames(store, Filters(game_ids=["g2", *(f"x{i}" for i in range(600))]))  # filtered in pandas
    for table in ("games", "players", "votes", "beliefs", "statements"):
        assert set(many[table]["game_id"]) == {"g2"}, table
    assert len(load_frames(store, {"status": "finished", "scenario": ["hand"]})["games"]) == 2


def test_empty_and_missing_database(tmp_path: Path) -> None:
    frames = load_frames(f"sqlite:///{tmp_path}/none.db")
    assert all(f.empty for f in frames.values())
    assert list(frames["votes"].columns) == list(SCHEMA["votes"])


def test_parse_without_pyarrow_matches(tmp_path: Path, monkeypatch) -> None:
    import metrics.payloads as payloads

    fast = load_frames(hand_store(tmp_path))
    monkeypatch.setattr(payloads, "pa_json", None)
    slow = load_frames(f"sqlite:///{tmp_path}/t.db")
    for table in fast:
        pd.testing.assert_frame_equal(fast[table], slow[table], check_dtype=False)
    assert np.isclose(slow["beliefs"]["p_traitor"].sum(), fast["beliefs"]["p_traitor"].sum())


def test_model_calls_from_events_and_from_the_measurements_table(tmp_path: Path) -> None:
    from sqlalchemy import text

    from metrics import compute_metrics
    from traitors.events import ModelCall

    events = hand_log()
    seq = len(events) - 1  # insert two calls before GameEnded
    calls = [
        ModelCall(
            game_id="g1",
            seq=seq + i,
            day=1,
            phase="roundtable",
            audience=(),
            player="A",
            purpose="vote",
            model="m1",
            route="r",
            prompt_tokens=100 * (i + 1),
            completion_tokens=10,
            attempts=1 + i,
            outcome="ok" if i == 0 else "retried",
        )
        for i in range(2)
    ]
    ended = events[-1].model_copy(update={"seq": seq + 2})
    store = hand_store(tmp_path, [*events[:-1], *calls, ended])
    frames = load_frames(store)
    mc = frames["model_calls"]
    assert list(mc["prompt_tokens"]) == [100, 200] and list(mc["outcome"]) == ["ok", "retried"]
    assert mc["cost_usd"].isna().all()  # events carry no measurements
    m = compute_metrics(frames).set_index("metric")
    assert (m.loc["tokens", "value"], m.loc["tokens", "n"]) == (320.0, 2)
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE model_calls (id INTEGER PRIMARY KEY, game_id TEXT, player TEXT, day INT, "
                "phase TEXT, purpose TEXT, model TEXT, prompt_tokens INT, completion_tokens INT, "
                "cached_tokens INT, latency_ms REAL, cost_usd REAL, attempts INT, outcome TEXT, "
                "cache_hit BOOLEAN, request_hash TEXT)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO model_calls (game_id, player, day, phase, purpose, model, prompt_tokens, "
                "completion_tokens, cached_tokens, latency_ms, cost_usd, attempts, outcome, cache_hit, "
                "request_hash) "
                "VALUES ('g1', 'A', 1, 'roundtable', 'vote', 'm1', 50, 5, 40, 12.5, 0.25, 1, 'ok', 1, 'h'), "
                "('other', 'A', 1, 'roundtable', 'vote', 'm1', 7, 7, 0, 1.0, 9.0, 1, 'ok', 0, 'h2')"
            )
        )
    frames = load_frames(store)
    row = frames["model_calls"].iloc[0]
    assert len(frames["model_calls"]) == 1 and row["latency_ms"] == 12.5 and bool(row["cache_hit"])
    m = compute_metrics(frames).set_index("metric")
    assert m.loc["cost_usd", "value"] == 0.25 and m.loc["tokens", "value"] == 55.0


def test_metrics_never_imports_the_engine_loop_cli_or_agents() -> None:
    import subprocess
    import sys

    code = (
        "import sys, metrics, metrics.figures\n"
        "bad = [m for m in sys.modules if m.startswith(('traitors.engine', 'traitors.cli', 'traitors.runner',"
        " 'agents', 'memory', 'app'))]\n"
        "assert not bad, bad\n"
        "from metrics import load_frames, compute_metrics, summarize\n"
        "assert {'load_frames', 'compute_metrics', 'summarize', 'export'} <= set(metrics.__all__)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_large_databases_are_read_in_chunks(tmp_path: Path, monkeypatch) -> None:
    import metrics.sql as sql

    store = hand_store(tmp_path, hand_log("g1"), hand_log("g2"), hand_log("g3"))
    whole = load_frames(store)
    monkeypatch.setattr(sql, "_MAX_EVENTS_PER_QUERY", 30)  # one game per query
    plan = sql.plan_chunks(whole["games"].assign(n_events=40), filtered=False)
    assert [how for how, _ in plan] == ["range"] * 3
    chunked = load_frames(store)
    for table in whole:
        pd.testing.assert_frame_equal(whole[table], chunked[table], obj=table)
    monkeypatch.setattr(sql, "_MAX_SQL_IDS", 1)
    two = load_frames(store, Filters(game_ids=["g1", "g3"]))
    assert set(two["votes"]["game_id"]) == {"g1", "g3"}
