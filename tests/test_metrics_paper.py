"""Every metric on the hand-built game of test_metrics_frames.py, against values computed by hand, plus
the undefined (NaN, n = 0) cases and invariance under renaming the players."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_metrics_frames import BELIEFS_1, BELIEFS_2, NAMES, Log, hand_log, hand_store

from metrics import compute_metrics, load_frames
from traitors.events import BeliefReported, DayStarted, VoteCast

# metric: (value, n), worked out in the comments from the log in test_metrics_frames.py (one round table a
# day: round table 1 on day 1, round table 2 on day 2)
EXPECTED = {
    # round 1 Faithful votes E E D E → 3/4; round 2 valid Faithful first-ballot votes C D → 1/2 (D's invalid)
    "FCR": (np.mean([3 / 4, 1 / 2]), 2),
    # chance: Traitors among a Faithful voter's options, round 1: 2 of 5; round 2 (C recruited): 2 of 4
    "FCR_chance": (np.mean([2 / 5, 2 / 4]), 2),
    "FCR_vs_chance": (np.mean([3 / 4 - 2 / 5, 1 / 2 - 2 / 4]), 2),
    "FAS": (np.mean([3 / 4, 1 / 2]), 2),  # E 3 of 4; C 1 of 2
    "TAS": (np.mean([1.0, 1 / 2]), 2),  # E→A F→A; C (recruited)→D F→C — the revote never counts
    "night_consensus": (0.5, 1),  # murder votes C→A F→B (the recruit vote is not a murder vote)
    "TSR": (2 / 3, 3),  # ever Traitors C E F; C and F alive
    "FSR": (1 / 4, 4),  # Faithful at start A B C D; only B Faithful and alive at the end
    # round 1: E (a Traitor) banished → 0; round 2: D Faithful, the Traitors' votes tie D/C → not unique → 0
    "DES": (0.0, 2),
    "DES_paper": (np.mean([0.0, 1.0]), 2),  # the tie counts in the paper's reading
    "DES_pivotal": (0.0, 2),  # round 2's first ballot is a tie C/D: D was never its unique leader
    "faithful_banished": (np.mean([0.0, 1.0]), 2),
    # top suspects: round 1 A {E,F}→1, B all tied→2/5, C A→0, D F→1; round 2 A C→1, B D→0, D tied→2/4
    "IDR": (np.mean([(1 + 0.4 + 0 + 1) / 4, (1 + 0 + 0.5) / 3]), 2),
    "IDR_chance": (np.mean([2 / 5, 2 / 4]), 2),  # every Faithful report: round 1 2 Traitors of 5, round 2 2/4
    "IDR_vs_chance": (np.mean([2.4 / 4 - 2 / 5, 1.5 / 3 - 2 / 4]), 2),
    "IDR_slope": (0.5 - 0.6, 2),
    "IDR_slope_vs_chance": ((0.5 - 0.5) - (0.6 - 0.4), 2),
    "BRR": (0.0, 1),  # E banished at round 1: nobody could have voted for E earlier
    "VSF": (0.5, 1),  # A, B: earlier target E gone; C D→D kept (D still votes, if invalidly); F A→C switched
    "TNS": (1 - (0.8 + 1.3 + 0.7) / 12, 1),  # |Δp| summed per Faithful observer A, B, D over 12 pairs
    "TNS_by_traitors": (1 - 0.8 / 4, 1),  # C, recruited, reports the second time as a Traitor
    "betrayal": (np.mean([0.0, 0.5]), 2),  # round 2: F voted for C, recruited the night before
    "traitor_win": (1.0, 1),
    "faithful_win": (0.0, 1),
    # Faithful trust in Traitors minus in Faithfuls: round 1 E (.2 .5 .9 .7) F (.2 .5 .9 .4) vs
    # A (.5 .1 .7) B (.9 .9 .7) C (.8 .5 .7) D (.8 .5 .9); round 2 C (.4 .8 .5) F (.6 .9 .5) vs
    # A (.7 .5) B (.9 .5) D (.8 .1)
    "deception_gap": (
        np.mean(
            [
                np.mean([0.575, 0.5]) - np.mean([1.3 / 3, 2.5 / 3, 2 / 3, 2.2 / 3]),
                np.mean([1.7 / 3, 2 / 3]) - np.mean([0.6, 0.7, 0.45]),
            ]
        ),
        2,
    ),
    "tokens": (np.nan, 0),
}
PLAYER = {
    "win": dict(A=0, B=0, C=1, D=0, E=1, F=1),
    "survived": dict(A=0, B=1, C=1, D=0, E=0, F=1),
    "outcome_agreement": dict(A=0.5, B=1.0, C=0.5, D=1.0, E=0.0, F=0.0),
}


@pytest.fixture(scope="module")
def metrics(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return compute_metrics(load_frames(hand_store(tmp_path_factory.mktemp("paper"))))


def _value(metrics: pd.DataFrame, name: str, game: str = "g1") -> tuple[float, int]:
    row = metrics[(metrics["metric"] == name) & (metrics["game_id"] == game) & metrics["player"].isna()]
    assert len(row) == 1, name
    return float(row["value"].iloc[0]), int(row["n"].iloc[0])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_computed(metrics: pd.DataFrame, name: str) -> None:
    value, n = _value(metrics, name)
    want, want_n = EXPECTED[name]
    assert n == want_n
    assert (np.isnan(value) and np.isnan(want)) or value == pytest.approx(want)


@pytest.mark.parametrize("name", sorted(PLAYER))
def test_player_level(metrics: pd.DataFrame, name: str) -> None:
    rows = metrics[metrics["metric"] == name].set_index("player")["value"]
    assert rows.to_dict() == pytest.approx({k: float(v) for k, v in PLAYER[name].items()})


def _faithful_reports(only_day: int | None = None) -> list[tuple[float, int]]:
    """(p, y) of every report by a then-Faithful observer, with y = target then a Traitor."""
    traitors = {1: {"E", "F"}, 2: {"C", "F"}}
    out = []
    for day, reports in ((1, BELIEFS_1), (2, BELIEFS_2)):
        for observer, beliefs in reports.items():
            if observer not in traitors[day] and only_day in (None, day):
                out += [(p, int(t in traitors[day])) for t, p in beliefs.items()]
    return out


def _auc(pairs: list[tuple[float, int]]) -> float:
    pos = [p for p, y in pairs if y]
    neg = [p for p, y in pairs if not y]
    return float(np.mean([1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg]))


def test_belief_scores_against_direct_formulas(metrics: pd.DataFrame) -> None:
    pairs = _faithful_reports()
    p = np.array([x for x, _ in pairs])
    y = np.array([t for _, t in pairs])
    assert _value(metrics, "brier") == (pytest.approx(np.mean((p - y) ** 2)), len(pairs))
    q = np.clip(p, 1e-6, 1 - 1e-6)
    assert _value(metrics, "log_loss")[0] == pytest.approx(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
    per_day = [_auc(_faithful_reports(day)) for day in (1, 2)]  # AUC within each day, then the mean
    assert _value(metrics, "AUC") == (pytest.approx(np.mean(per_day)), 2)


def test_values_in_declared_ranges(metrics: pd.DataFrame) -> None:
    from metrics import METRICS

    for name, info in METRICS.items():
        values = metrics.loc[metrics["metric"] == name, "value"].dropna()
        if info.low is not None:
            assert (values >= info.low - 1e-12).all(), name
        if info.high is not None:
            assert (values <= info.high + 1e-12).all(), name


def test_undefined_metrics_are_nan_with_n_zero(tmp_path: Path) -> None:
    """An unfinished game with one day, no beliefs, no banishment and only invalid Faithful votes."""
    log = Log("u1", NAMES, ("E", "F"))
    log.add(DayStarted, 1, "breakfast")
    for voter in NAMES:
        target = "A" if voter in "EF" else None
        log.add(
            VoteCast,
            1,
            "roundtable",
            kind="banish",
            ballot=1,
            voter=voter,
            target=target,
            valid=target is not None,
        )
    metrics = compute_metrics(load_frames(hand_store(tmp_path, log.events)))
    for name in (
        "FCR",
        "FAS",
        "IDR",
        "IDR_slope",
        "BRR",
        "VSF",
        "TNS",
        "DES",
        "TSR",
        "FSR",
        "brier",
        "AUC",
        "deception_gap",
        "DES_pivotal",
        "DES_paper",
        "FCR_chance",
        "IDR_chance",
        "traitor_win",
        "faithful_win",
        "night_consensus",
        "net_density",
        "tokens",
        "cost_usd",
    ):
        value, n = _value(metrics, name, "u1")
        assert np.isnan(value) and n == 0, name
    assert _value(metrics, "TAS", "u1") == (1.0, 1)
    assert metrics[metrics["player"].notna() & (metrics["metric"] == "win")].empty


def test_auc_undefined_with_one_class(tmp_path: Path) -> None:
    log = Log("one", NAMES, ("E", "F"))
    log.add(DayStarted, 1, "breakfast")
    log.add(BeliefReported, 1, "roundtable", observer="A", beliefs={"B": 0.2, "C": 0.4}, audience=("A",))
    metrics = compute_metrics(load_frames(hand_store(tmp_path, log.events)))
    assert np.isnan(_value(metrics, "AUC", "one")[0]) and _value(metrics, "AUC", "one")[1] == 0
    assert _value(metrics, "brier", "one") == (pytest.approx((0.04 + 0.16) / 2), 2)
    assert _value(metrics, "IDR", "one") == (0.0, 1)


def test_renaming_players_changes_nothing(tmp_path: Path) -> None:
    rename = dict(zip(NAMES, ("Zoë", "b_2", "Ça va", "D&D", "100%", "Alex"), strict=True))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = compute_metrics(load_frames(hand_store(tmp_path / "a")))
    b = compute_metrics(load_frames(hand_store(tmp_path / "b", hand_log(rename=rename))))
    b["player"] = b["player"].map({v: k for k, v in rename.items()})
    key = ["metric", "player"]
    left = a.sort_values(key, na_position="first").reset_index(drop=True)
    right = b.sort_values(key, na_position="first").reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_revote_ballots_never_count(tmp_path: Path) -> None:
    """Changing every second-ballot vote (and making them invalid) changes no metric."""
    events = hand_log()
    changed = [
        e.model_copy(update={"target": None, "valid": False})
        if isinstance(e, VoteCast) and e.ballot == 2
        else e
        for e in events
    ]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = compute_metrics(load_frames(hand_store(tmp_path / "a", events)))
    b = compute_metrics(load_frames(hand_store(tmp_path / "b", changed)))
    pd.testing.assert_frame_equal(a, b)
