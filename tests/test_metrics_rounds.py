"""Round tables as the unit (issue #13): a hand-built game with recruitment and two round tables on one
endgame day, every value worked out by hand below; and the chance baselines (exact DP against hand
values and against simulated random games).

    players A–H, Traitors G H; endgame at 5 players
    round 1 (day 1)  A→G B→E C→G D→G E→G F→A G→A H→D: G banished (Traitor); night 1: H recruits E
    round 2 (day 2)  A→C B→H C→D D→C E→D F→E H→D: D banished (Faithful); night 2: E→A H→A, A murdered
    round 3 (day 3)  B→E C→E E→F F→E H→F: E banished (Traitor); endgame vote: banish again
    round 4 (day 3)  B→H C→H F→C H→C: tie H/C → revote B→H C→H F→H H→C: H banished; Faithfuls win
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_metrics_frames import Log, hand_store

from metrics import compute_metrics, load_frames
from metrics.chance import Rules, faithful_win_probability, simulate
from traitors.config import Scenario
from traitors.events import (
    Banished,
    DayStarted,
    GameEnded,
    Murdered,
    RecruitAnswered,
    RecruitOffered,
    VoteResult,
)

NAMES = tuple("ABCDEFGH")


def endgame_log() -> list:
    """The game of the module docstring."""
    log = Log("eg", NAMES, ("G", "H"))
    config = Scenario(
        name="hand", players=8, traitors=2, names=NAMES, endgame={"enabled": True, "at_players": 5}
    )
    log.events[0] = log.events[0].model_copy(update={"config": config.model_dump(mode="json")})

    def table(day: int, votes: dict[str, str], banished: str, role: str, ballot: int = 1) -> None:
        log.votes(day, votes, ballot=ballot)
        log.add(
            VoteResult,
            day,
            "roundtable",
            kind="banish",
            ballot=ballot,
            counts={},
            outcome="decided",
            target=banished,
        )
        log.add(Banished, day, "roundtable", player=banished, revealed_role=role)

    log.add(DayStarted, 1, "breakfast")
    table(1, dict(A="G", B="E", C="G", D="G", E="G", F="A", G="A", H="D"), "G", "traitor")
    log.votes(1, {"H": "E"}, kind="recruit")
    log.add(RecruitOffered, 1, "night", player="E", ultimatum=False, audience=("H", "E"))
    log.add(RecruitAnswered, 1, "night", player="E", accepted=True, audience=("H", "E"))
    log.add(DayStarted, 2, "breakfast")
    table(2, dict(A="C", B="H", C="D", D="C", E="D", F="E", H="D"), "D", "faithful")
    log.votes(2, {"E": "A", "H": "A"}, kind="murder")
    log.add(Murdered, 2, "night", player="A")
    log.add(DayStarted, 3, "breakfast")
    table(3, dict(B="E", C="E", E="F", F="E", H="F"), "E", "traitor")
    log.votes(3, dict(B="end", C="banish_again", F="end", H="end"), kind="endgame")
    log.add(
        VoteResult,
        3,
        "roundtable",
        kind="endgame",
        ballot=1,
        counts={},
        outcome="decided",
        target="banish_again",
    )
    log.votes(3, dict(B="H", C="H", F="C", H="C"))
    log.add(VoteResult, 3, "roundtable", kind="banish", ballot=1, counts={}, outcome="tie", tied=("C", "H"))
    table(3, dict(B="H", C="H", F="H", H="C"), "H", "traitor", ballot=2)
    roles = {n: "traitor" if n in "EGH" else "faithful" for n in NAMES}
    log.add(GameEnded, 3, "roundtable", winner="faithful", reason="all_traitors_gone", roles=roles)
    return log.events


# metric: (value, n), per round table 1–4 as in the module docstring
EXPECTED = {
    # Faithful votes on a then-Traitor: r1 A C D E on G of A–F; r2 B→H F→E of A B C D F; r3 all 3; r4 B C of 3
    "FCR": (np.mean([4 / 6, 2 / 5, 1.0, 2 / 3]), 4),
    "FCR_chance": (np.mean([2 / 7, 2 / 6, 2 / 4, 1 / 3]), 4),  # Traitors among a Faithful's N − 1 options
    "FAS": (np.mean([4 / 6, 2 / 5, 1.0, 2 / 3]), 4),
    "TAS": (np.mean([1 / 2, 1.0, 1.0]), 3),  # r4: only H is a Traitor, fixed at 1 by construction: left out
    "betrayal": (0.0, 3),
    "night_consensus": (1.0, 1),  # night 1 has a recruitment vote only
    # r2: D, a Faithful, is the Traitors' unique target (E→D H→D) and leads only thanks to them (C leads
    # the other votes 2–1); r1, r3, r4 banish Traitors
    "DES": (1 / 4, 4),
    "DES_pivotal": (1 / 4, 4),
    "DES_paper": (1 / 4, 4),
    "faithful_banished": (1 / 4, 4),
    # r2: B E→H and F A→E changed, H D→D kept (C, D, E's earlier target G is gone); r3: B H→E changed,
    # F E→E kept; r4 (same day): only H F→C counts, B C F's earlier target E was banished at r3
    "VSF": (np.mean([2 / 3, 1 / 2, 1.0]), 3),
    # G (r1): nobody could have voted for G earlier; E (r3): of B C F only F voted for E while E was a
    # Traitor (B's r1 vote came before the recruitment); H (r4): of B C F only B (r2)
    "BRR": (np.mean([0.0, 1 / 3, 1 / 3]), 3),
    "traitor_win": (0.0, 1),
    "faithful_win": (1.0, 1),
    "TSR": (0.0, 3),
}


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return load_frames(hand_store(tmp_path_factory.mktemp("rounds"), endgame_log()))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_round_table_values(frames: dict[str, pd.DataFrame], name: str) -> None:
    long = compute_metrics(frames)
    row = long[(long["metric"] == name) & long["player"].isna()]
    assert (float(row["value"].iloc[0]), int(row["n"].iloc[0])) == (
        pytest.approx(EXPECTED[name][0]),
        EXPECTED[name][1],
    )


def test_rounds_table_and_round_columns(frames: dict[str, pd.DataFrame]) -> None:
    rounds = frames["rounds"]
    assert rounds["round"].tolist() == [1, 2, 3, 4] and rounds["day"].tolist() == [1, 2, 3, 3]
    assert rounds["players"].tolist() == [8, 7, 5, 4] and rounds["traitors"].tolist() == [2, 2, 2, 1]
    assert rounds["ballots"].tolist() == [1, 1, 1, 2]
    assert rounds["outcome"].astype(str).tolist() == ["decided", "decided", "decided", "revote"]
    assert rounds["banished"].astype(str).tolist() == ["G", "D", "E", "H"]
    assert rounds["banished_role"].astype(str).tolist() == ["traitor", "faithful", "traitor", "traitor"]
    assert rounds["endgame"].astype(object).where(rounds["endgame"].notna(), None).tolist() == [
        None,
        None,
        "banish_again",
        None,
    ]
    votes = frames["votes"]
    by_kind = votes.groupby("kind", observed=True)["round"]
    assert by_kind.apply(lambda r: r.isna().all()).to_dict() == {
        "banish": False,
        "endgame": False,
        "murder": True,
        "recruit": True,
    }
    assert votes.loc[(votes["kind"] == "endgame"), "round"].unique().tolist() == [3]
    assert votes.loc[(votes["kind"] == "banish") & (votes["ballot"] == 2), "round"].unique().tolist() == [4]


def test_outcome_agreement_per_round_table(frames: dict[str, pd.DataFrame]) -> None:
    long = compute_metrics(frames)
    agree = long[long["metric"] == "outcome_agreement"].set_index("player")
    # B: r1 E (G out) r2 H (D) r3 E (E) r4 H (H) → 2/4; H: r1 D, r2 D (D), r3 F, r4 C → 1/4
    assert agree.loc["B", "value"] == pytest.approx(2 / 4) and agree.loc["B", "n"] == 4
    assert agree.loc["H", "value"] == pytest.approx(1 / 4)


def test_chance_dp_hand_values() -> None:
    assert faithful_win_probability(Rules(3, 1, max_days=1)) == pytest.approx(1 / 3)
    assert faithful_win_probability(Rules(4, 1)) == pytest.approx(1 / 4)  # a miss, a murder: parity
    assert faithful_win_probability(Rules(5, 1)) == pytest.approx(1 / 5 + 4 / 5 * 1 / 3)
    # endgame at 4: a miss leaves 3 F + 1 T, who vote to end with probability 1/16 each time
    endgame = 1 / 5 + 4 / 5 * (15 / 16) * (1 / 4 + 3 / 4 * (7 / 8) * (1 / 3))
    assert faithful_win_probability(Rules(5, 1, endgame=True, endgame_at=4)) == pytest.approx(endgame)
    assert faithful_win_probability(Rules(5, 1, max_days=1)) == pytest.approx(1 / 5)


@pytest.mark.parametrize("scenario", ["paper", "classic", "quick"])
def test_chance_dp_matches_simulated_random_games(scenario: str) -> None:
    from traitors.config import load_scenario

    rules = Rules.from_config(load_scenario(scenario).model_dump(mode="json"))
    exact = faithful_win_probability(rules)
    games = 20_000 if rules.players <= 10 else 5_000
    won = np.mean(simulate(rules, games, seed=11))
    assert abs(won - exact) < 4 * np.sqrt(exact * (1 - exact) / games), (won, exact)


def test_games_carry_the_chance_of_their_rules(frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    want = faithful_win_probability(Rules(8, 2, endgame=True, endgame_at=5))
    assert frames["games"]["chance_faithful_win"].tolist() == [pytest.approx(want)]
    long = compute_metrics(frames).set_index("metric")
    assert long.loc["faithful_win_chance", "value"] == pytest.approx(want)
