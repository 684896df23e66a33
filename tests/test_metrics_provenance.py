"""Provenance in the metrics (issue #12): ``decided_by`` in the exported tables, the ``decisions`` table, the
players' and games' fallback counts and rates, fallback decisions left out of the metrics by default (and
counted on request), degraded games left out of the outcomes, and ``fallback_rate`` per game and per group.

Two sources: the hand-built game of test_metrics_frames.py with some decisions marked as fallbacks (values
worked out by hand below), and games played by the engine with LLM seats on a dead endpoint and a stubborn
seat whose illegal answers make the engine abstain (tests/fallback_games.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fallback_games import DEAD, mark_degraded, play_fallback_game, set_status
from test_metrics_frames import BELIEFS_1, NAMES, Log, hand_log, hand_store
from typer.testing import CliRunner

from agents.models.factory import is_model_spec as agents_is_model_spec
from metrics import (
    SCHEMA,
    compute_metrics,
    elo_ratings,
    export,
    is_model_spec,
    load_frames,
    read_table,
    summarize,
    summary_latex,
)
from traitors.cli import app
from traitors.events import BeliefReported, DecisionFallback, Event, Statement, VoteCast
from traitors.provenance import decisions, fallback_share
from traitors.store import Store

OUTCOMES = ("TSR", "FSR", "traitor_win")


def fallback_log(game_id: str = "g1") -> list[Event]:
    """The hand game with fallbacks: A's day-1 banish vote (A→E), B's day-1 belief report and C's day-2
    statement were made by a fallback; the engine abstained on D's day-1 speech (a ``DecisionFallback``,
    no statement) and on D's day-2 first-ballot vote (invalid)."""
    out: list[Event] = []
    fell = {"decided_by": "fallback"}

    def by_fallback(e: Event) -> bool:
        if isinstance(e, VoteCast):
            return (e.day, e.voter, e.kind, e.ballot) in {(1, "A", "banish", 1), (2, "D", "banish", 1)}
        if isinstance(e, BeliefReported):
            return (e.day, e.observer) == (1, "B")
        return isinstance(e, Statement) and (e.day, e.speaker) == (2, "C")

    for e in hand_log(game_id):
        if by_fallback(e):
            e = e.model_copy(update=fell)
        out.append(e)
        if isinstance(e, Statement) and e.day == 1 and e.speaker == "A":
            out.append(
                DecisionFallback(
                    game_id=game_id,
                    seq=0,
                    day=1,
                    phase="roundtable",
                    player="D",
                    kind="speak",
                    attempts=3,
                    error="no legal speech",
                    audience=(),
                )
            )
    return [e.model_copy(update={"seq": i}) for i, e in enumerate(out)]


def _value(long: pd.DataFrame, metric: str, game: str = "g1", player: str | None = None) -> tuple[float, int]:
    rows = long[(long["metric"] == metric) & (long["game_id"] == game)]
    rows = rows[rows["player"].isna()] if player is None else rows[rows["player"] == player]
    assert len(rows) == 1, (metric, game, player)
    return float(rows["value"].iloc[0]), int(rows["n"].iloc[0])


@pytest.fixture()
def hand_frames(tmp_path: Path) -> dict[str, pd.DataFrame]:
    return load_frames(hand_store(tmp_path, fallback_log()))


def test_decided_by_columns_and_fallback_counts_of_the_hand_game(hand_frames) -> None:
    f = hand_frames
    for table in ("votes", "statements", "beliefs"):
        assert list(f[table].columns) == list(SCHEMA[table]) and f[table]["decided_by"].dtype == "category"
    votes = f["votes"]
    assert votes.loc[votes["decided_by"] == "fallback", ["day", "voter"]].values.tolist() == [
        [1, "A"],
        [2, "D"],
    ]
    assert set(f["beliefs"].loc[f["beliefs"]["decided_by"] == "fallback", "observer"]) == {"B"}
    assert (f["beliefs"]["decided_by"] == "fallback").sum() == len(BELIEFS_1["B"])
    statements = f["statements"]
    assert statements.loc[statements["decided_by"] == "fallback", "speaker"].tolist() == ["C"]
    players = f["players"].set_index("player")
    # decisions: speeches, belief reports, votes (every ballot), recruitment answers, engine abstentions
    assert players["decisions"].to_dict() == dict(A=6, B=5, C=8, D=6, E=2, F=6)
    assert players["fallbacks"].to_dict() == dict(A=1, B=1, C=1, D=2, E=0, F=0)
    assert players.loc["D", "fallback_rate"] == pytest.approx(2 / 6)
    # "m1" is no model spec: every seat counts for the game's rate
    assert f["games"]["fallback_rate"].tolist() == pytest.approx([5 / 33])
    d = f["decisions"]
    assert list(d.columns) == list(SCHEMA["decisions"]) and len(d) == 33
    spoken = d[(d["kind"] == "speak") & (d["decided_by"] == "fallback")]  # D's abstention, C's statement
    assert spoken[["day", "player", "player_role"]].values.tolist() == [
        [1, "D", "faithful"],
        [2, "C", "traitor"],
    ]
    assert d.loc[d["kind"] == "answer_offer", "player_role"].tolist() == ["faithful"]  # before accepting


def test_fallback_decisions_are_left_out_by_default(hand_frames, tmp_path: Path) -> None:
    long = compute_metrics(hand_frames)
    # FCR, day 1: Faithful votes B→E C→D D→E (A's is a fallback) → 2/3; day 2: A→C B→D → 1/2
    assert _value(long, "FCR") == (pytest.approx((2 / 3 + 1 / 2) / 2), 2)
    assert _value(long, "FAS") == (pytest.approx((2 / 3 + 1 / 2) / 2), 2)
    # IDR, day 1 without B's report: A 1, C 0, D 1; day 2: A 1, B 0, D 1/2
    assert _value(long, "IDR") == (pytest.approx((2 / 3 + 1 / 2) / 2), 2)
    assert _value(long, "IDR_slope")[0] == pytest.approx(1 / 2 - 2 / 3)
    # TNS: B has no earlier report left and C reports as a Traitor on day 2, so only A and D's 8 pairs
    assert _value(long, "TNS") == (pytest.approx(1 - (0.8 + 0.7) / 8), 1)
    # outcome agreement of A: only the day-2 vote (A→C, D banished) is A's own
    assert _value(long, "outcome_agreement", player="A") == (0.0, 1)
    assert _value(long, "BRR") == (0.0, 1)  # A still counts as present on day 1
    # on request the fallbacks count, and the values are those of the unmarked game
    included = compute_metrics(hand_frames, fallbacks=True)
    (tmp_path / "plain").mkdir()
    plain = compute_metrics(load_frames(hand_store(tmp_path / "plain", hand_log())))
    keys = ["game_id", "metric", "player"]
    pair = included.merge(plain, on=keys, suffixes=("", "_plain"))
    pair = pair[pair["metric"] != "fallback_rate"]
    assert len(pair) == len(plain) - 1
    assert np.allclose(pair["value"], pair["value_plain"], equal_nan=True)
    assert (pair["n"] == pair["n_plain"]).all()
    assert _value(included, "FCR")[0] == pytest.approx(0.625) != _value(long, "FCR")[0]
    assert _value(long, "fallback_rate") == (pytest.approx(5 / 33), 33)
    assert _value(included, "fallback_rate") == _value(long, "fallback_rate")


def test_degraded_games_stay_out_of_outcomes(tmp_path: Path) -> None:
    store = hand_store(tmp_path, hand_log("g1"), fallback_log("g2"))
    mark_degraded(store, "g2")
    frames = load_frames(store)
    long = compute_metrics(frames)
    assert long.attrs["degraded_left_out"] == ["g2"]
    for metric in OUTCOMES:
        assert _value(long, metric, "g1")[1] > 0
        assert np.isnan(_value(long, metric, "g2")[0]) and _value(long, metric, "g2")[1] == 0
    assert set(long.loc[long["metric"] == "win", "game_id"]) == {"g1"}
    assert _value(long, "FCR", "g2")[1] == 2  # decisions still count (the seats' own ones)
    summary = summarize(long, frames, n_boot=50)
    assert summary.attrs["degraded_left_out"] == ["g2"]
    assert summary.set_index("metric").loc["traitor_win", "n"] == 1
    assert "1 degraded game (" in summary_latex(summary)
    assert elo_ratings(frames)["games"].max() == 1
    included = compute_metrics(frames, fallbacks=True)
    assert included.attrs["degraded_left_out"] == []
    assert _value(included, "traitor_win", "g2") == (1.0, 1)
    assert "degraded" not in summary_latex(summarize(included, frames, n_boot=50))
    assert elo_ratings(frames, statuses=("finished", "degraded"))["games"].max() == 2


def test_no_decisions_means_nan_rates(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path, Log("g0", NAMES, ("E", "F")).events))
    assert frames["players"]["decisions"].eq(0).all() and frames["players"]["fallback_rate"].isna().all()
    assert frames["games"]["fallback_rate"].isna().all() and frames["decisions"].empty
    assert np.isnan(_value(compute_metrics(frames), "fallback_rate", "g0")[0])


def test_model_spec_rule_is_the_agents_one() -> None:
    models = ["local", "local?threads=2", " local ", "local:x.gguf", "openai:gpt-4o-mini"]
    models += ["langchain:openai:gpt-4o", "openai:gpt-4o?timeout=30"]
    others = ["heuristic", "random", "human", "person", "scripted", "m1", "mypkg.sleuth:Sleuth"]
    others += ["python:tests.x.Agent", "localish", "opneai:gpt-4o"]
    assert is_model_spec is agents_is_model_spec  # one rule for the runner, batches, agents and metrics
    assert all(is_model_spec(s) for s in models) and not any(is_model_spec(s) for s in others)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, tuple[Event, ...]]]:
    """A game with three LLM seats on a dead endpoint and a stubborn seat, and an offline game (no model
    seat) with a stubborn seat."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('fallbacks')}/games.db")
    games = {
        "fb-mixed": play_fallback_game(store, "fb-mixed", 1),
        "fb-offline": play_fallback_game(store, "fb-offline", 2, dead=0),
    }
    return store, games


def test_frames_record_who_decided(played) -> None:
    store, games = played
    frames = load_frames(store)
    for game_id, events in games.items():
        votes = frames["votes"][frames["votes"]["game_id"] == game_id]
        assert votes["decided_by"].tolist() == [e.decided_by for e in events if isinstance(e, VoteCast)]
        said = frames["statements"][frames["statements"]["game_id"] == game_id]
        assert said["decided_by"].tolist() == [e.decided_by for e in events if isinstance(e, Statement)]
        beliefs = frames["beliefs"][frames["beliefs"]["game_id"] == game_id]
        want = [e.decided_by for e in events if isinstance(e, BeliefReported) for _ in e.beliefs]
        assert beliefs["decided_by"].tolist() == want
        d = frames["decisions"][frames["decisions"]["game_id"] == game_id]
        got = list(zip(d["day"], d["player"], d["kind"], d["decided_by"], strict=True))
        assert got == [(r.day, r.player, r.kind, r.decided_by) for r in decisions(events)]
        players = frames["players"][frames["players"]["game_id"] == game_id]
        for row in players.itertuples():
            share = fallback_share(events, {row.player})
            assert (row.decisions, row.fallbacks) == (share.decisions, share.fallbacks)
        seats = {p.name for p in events[0].players if agents_is_model_spec(p.agent)}
        share = fallback_share(events, seats or None)  # the runner's rule (traitors.runner.fallback_report)
        rate = frames["games"].set_index("game_id").loc[game_id, "fallback_rate"]
        assert rate == pytest.approx(share.rate)
    rates = frames["games"].set_index("game_id")["fallback_rate"]
    assert rates["fb-mixed"] == 1.0 and 0 < rates["fb-offline"] < 0.5
    assert set(frames["votes"]["decided_by"]) == {"agent", "fallback"}
    assert not frames["votes"].loc[frames["votes"]["decided_by"] == "fallback", "valid"].all()  # abstained


def _fcr_by_hand(frames: dict[str, pd.DataFrame], game_id: str, own_only: bool) -> float:
    v = frames["votes"]
    v = v[(v["game_id"] == game_id) & (v["kind"] == "banish") & (v["ballot"] == 1) & v["valid"]]
    v = v[v["voter_role"] == "faithful"]
    if own_only:
        v = v[v["decided_by"] != "fallback"]
    return float((v["target_role"] == "traitor").groupby(v["day"]).mean().mean())


def _brier_by_hand(frames: dict[str, pd.DataFrame], game_id: str, own_only: bool) -> float:
    b = frames["beliefs"]
    b = b[(b["game_id"] == game_id) & (b["observer_role"] == "faithful")]
    if own_only:
        b = b[b["decided_by"] != "fallback"]
    return float(((b["p_traitor"] - (b["target_role"] == "traitor")) ** 2).mean())


def test_played_fallbacks_out_by_default_in_on_request(played) -> None:
    store, _ = played
    frames = load_frames(store)
    own, every = compute_metrics(frames), compute_metrics(frames, fallbacks=True)
    changed = []
    for metric, by_hand in (("FCR", _fcr_by_hand), ("brier", _brier_by_hand)):
        for game_id in ("fb-mixed", "fb-offline"):
            assert _value(own, metric, game_id)[0] == pytest.approx(by_hand(frames, game_id, True))
            assert _value(every, metric, game_id)[0] == pytest.approx(by_hand(frames, game_id, False))
    for metric in ("FAS", "IDR", "brier", "net_density"):
        changed.append(
            _value(own, metric, "fb-mixed")[0] != pytest.approx(_value(every, metric, "fb-mixed")[0])
        )
    assert all(changed)
    assert _value(own, "brier", "fb-mixed")[1] < _value(every, "brier", "fb-mixed")[1]  # fewer reports


def test_fallback_rate_per_game_and_per_group(played) -> None:
    store, games = played
    frames = load_frames(store)
    long = compute_metrics(frames)
    rates = frames["games"].set_index("game_id")["fallback_rate"]
    for game_id in games:
        value, n = _value(long, "fallback_rate", game_id)
        assert value == pytest.approx(rates[game_id]) and n > 0
    by_model = summarize(long, frames, by=["model"], n_boot=100)
    rows = by_model[by_model["metric"] == "fallback_rate"].set_index("model")
    assert rows.loc[DEAD, "mean"] == 1.0 and rows.loc[DEAD, "n"] == 1  # the model seats of fb-mixed
    assert rows.loc["heuristic", "mean"] == pytest.approx(rates["fb-offline"])  # no model seat: every seat
    assert rows.loc[DEAD, "units"] == _value(long, "fallback_rate", "fb-mixed")[1]
    by_population = summarize(long, frames, by=["population", "role"], n_boot=100)
    rows = by_population[by_population["metric"] == "fallback_rate"]
    assert set(rows["population"]) == {f"heuristic+{DEAD}", "heuristic"} and set(rows["role"]) == {"all"}
    overall = summarize(long, frames, n_boot=200).set_index("metric").loc["fallback_rate"]
    assert overall["n"] == 2 and overall["ci_low"] <= overall["mean"] <= overall["ci_high"]
    assert overall["mean"] == pytest.approx(rates.mean())


def test_exports_keep_every_row_with_its_provenance(played, tmp_path: Path) -> None:
    store, _ = played
    mark_degraded(store, "fb-mixed")
    try:
        frames = load_frames(store)
        long = compute_metrics(frames)
        paths = export(frames, long, tmp_path, formats=("csv", "parquet", "latex"), figures=False, n_boot=50)
    finally:
        set_status(store, "fb-mixed", "finished")  # the module's other tests see the game finished
    for name in ("votes", "statements", "beliefs", "decisions", "players", "games"):
        for suffix in (".csv", ".parquet"):
            back = read_table(tmp_path / f"{name}{suffix}")
            pd.testing.assert_frame_equal(back, frames[name], check_categorical=False)
    assert (tmp_path / "decisions.csv") in paths
    votes = read_table(tmp_path / "votes.csv")
    assert (
        (votes["decided_by"] == "fallback").sum() == (frames["votes"]["decided_by"] == "fallback").sum() > 0
    )
    tex = (tmp_path / "summary.tex").read_text()
    assert "fallback\\_rate" in tex and "1 degraded game" in tex
    summary = read_table(tmp_path / "summary.csv")
    assert "fallback_rate" in set(summary["metric"])


def test_cli_include_fallbacks(played, tmp_path: Path) -> None:
    store, _ = played
    cli = CliRunner()
    url = store.url
    plain = cli.invoke(app, ["metrics", "--db", url, "--metric", "FAS", "--metric", "fallback_rate"])
    assert plain.exit_code == 0, plain.output
    assert "fallback_rate" in plain.output and "degraded" not in plain.output
    every = cli.invoke(app, ["metrics", "--db", url, "--metric", "FAS", "--include-fallbacks"])
    assert every.exit_code == 0, every.output
    fas = [line for line in plain.output.splitlines() if "FAS" in line]
    assert fas and fas != [line for line in every.output.splitlines() if "FAS" in line]
    mark_degraded(store, "fb-offline")
    try:
        noted = cli.invoke(app, ["metrics", "--db", url, "--by", "model"])
        assert noted.exit_code == 0 and "1 degraded game" in " ".join(noted.output.split())
        counted = cli.invoke(app, ["metrics", "--db", url, "--include-fallbacks"])
        assert counted.exit_code == 0 and "degraded" not in counted.output
        out = tmp_path / "exp"
        written = cli.invoke(
            app, ["export", "--out", str(out), "--db", url, "--format", "csv", "--include-fallbacks"]
        )
        assert written.exit_code == 0, written.output
        assert (read_table(out / "decisions.csv")["decided_by"] == "fallback").any()
    finally:
        set_status(store, "fb-offline", "finished")
