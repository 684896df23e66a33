"""Every per-game and per-player metric recomputed from the exported CSVs by plain Python that does not
import ``metrics`` (tests/recompute_metrics.py, run in its own interpreter), on a mixed export: paper and
classic games of heuristic and random agents (recruitment, shields, endgame days with several round
tables), a game whose LLM seats fell back and whose stubborn seat cast invalid votes (marked degraded),
and the hand-built games (a revote, an invalid vote, recruitment, an endgame day)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from fallback_games import mark_degraded, play_fallback_game
from test_metrics_frames import hand_log
from test_metrics_rounds import endgame_log

from metrics import compute_metrics, export, load_frames, read_table
from traitors.runner import run_game
from traitors.store import Store

HERE = Path(__file__).resolve().parent
GAMES = [("paper", "heuristic", s) for s in range(3)] + [("paper", "random", s) for s in range(3)]
GAMES += [("classic", "heuristic", 0), ("classic", "random", 1), ("quick", "heuristic", 2)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("recompute")
    store = Store(f"sqlite:///{root}/games.db")
    for scenario, agents, seed in GAMES:
        run_game(scenario, seed, agents=agents, db=store, game_id=f"{scenario}-{agents}-{seed}", memory=False)
    play_fallback_game(store, "fallbacks", 3)
    mark_degraded(store, "fallbacks")
    store.append(hand_log("hand"))
    store.append(endgame_log())
    frames = load_frames(store)
    store.close()
    export(frames, compute_metrics(frames), root / "out", formats=("csv",), figures=False, n_boot=10)
    return root / "out"


def test_the_export_is_mixed(exported: Path) -> None:
    rounds = read_table(exported / "rounds.csv")
    per_day = rounds.groupby(["game_id", "day"], observed=True).size()
    assert (per_day > 1).any(), "no endgame day with several round tables"
    players = read_table(exported / "players.csv")
    assert (players["initial_role"] != players["final_role"]).any(), "no recruitment"
    votes = read_table(exported / "votes.csv")
    assert (~votes["valid"]).any() and (votes["decided_by"] == "fallback").any()
    assert (rounds["outcome"] == "revote").any() or (rounds["outcome"] == "tie_broken").any()
    games = read_table(exported / "games.csv")
    assert {"paper", "classic", "quick", "hand"} <= set(games["scenario"]) and "degraded" in set(
        games["status"]
    )


def test_every_metric_recomputed_in_plain_python(exported: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(HERE / "recompute_metrics.py"), str(exported)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    mine = {(g, m, p): (v, n) for g, m, p, v, n in json.loads(proc.stdout)}
    table = read_table(exported / "metrics.csv")
    theirs = {
        (g, m, None if p is None or (isinstance(p, float) and math.isnan(p)) else p): (v, n)
        for g, m, p, v, n in table[["game_id", "metric", "player", "value", "n"]]
        .astype(object)
        .itertuples(index=False)
    }
    theirs = {(g, m, None if p in ("", "nan", "None") else p): x for (g, m, p), x in theirs.items()}
    assert set(mine) == set(theirs), sorted(set(mine) ^ set(theirs))[:10]
    wrong = []
    for key, (value, n) in theirs.items():
        got, got_n = mine[key]
        same = (got is None and math.isnan(value)) or (got is not None and abs(got - value) <= 1e-9)
        if not same or got_n != n:
            wrong.append((key, value, n, got, got_n))
    assert not wrong, wrong[:10]
    assert len({m for _, m, _ in mine}) == 45  # every metric of metrics.METRICS
    defined = {m for (_, m, _), (v, _) in mine.items() if v is not None}
    assert {
        "DES_pivotal",
        "BRR",
        "VSF",
        "TAS",
        "net_reciprocity_by_traitors",
        "AUC",
        "deception_gap",
    } <= defined
