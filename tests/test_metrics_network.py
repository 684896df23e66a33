"""Trust-network indices: the vectorised closed forms equal networkx on the same graphs; hand values on
the hand-built game; Elo per model × role."""

from __future__ import annotations

import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from test_metrics_frames import hand_log, hand_store

from metrics import elo_ratings, load_frames, network_by_day, trust_graph


def _random_beliefs(seed: int, games: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(games):
        names = [f"P{i}" for i in range(int(rng.integers(3, 8)))]
        traitors = set(rng.choice(names, size=max(1, len(names) // 3), replace=False))
        for day in range(1, int(rng.integers(2, 4))):
            for o in names:
                for t in names:
                    if o != t and rng.random() < 0.9:
                        p = float(rng.choice([0.1, 0.3, 0.5, 0.7, 0.9]))
                        rows.append(
                            (
                                f"g{g}",
                                day,
                                o,
                                "traitor" if o in traitors else "faithful",
                                t,
                                "traitor" if t in traitors else "faithful",
                                p,
                            )
                        )
    beliefs = pd.DataFrame(
        rows, columns=["game_id", "day", "observer", "observer_role", "target", "target_role", "p_traitor"]
    )
    games_frame = pd.DataFrame({"game_id": [f"g{g}" for g in range(games)]})
    return beliefs, games_frame


def _networkx_indices(day: pd.DataFrame) -> dict[str, float]:
    full, edges = trust_graph(day), trust_graph(day, threshold=0.5)
    n = full.number_of_nodes()
    central = {v: d / (n - 1) for v, d in full.in_degree(weight="weight")}
    roles = nx.get_node_attributes(full, "role")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            assort = (
                nx.attribute_assortativity_coefficient(edges, "role") if edges.number_of_edges() else np.nan
            )
        except (ZeroDivisionError, ValueError):
            assort = np.nan
    return {
        "nodes": n,
        "density": nx.density(edges),
        "reciprocity": nx.reciprocity(edges) if edges.number_of_edges() else np.nan,
        "assortativity": assort,
        "in_trust_traitor": np.mean([c for v, c in central.items() if roles[v] == "traitor"] or [np.nan]),
        "in_trust_faithful": np.mean([c for v, c in central.items() if roles[v] == "faithful"] or [np.nan]),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_indices_equal_networkx(seed: int) -> None:
    beliefs, games = _random_beliefs(seed)
    daily = network_by_day(beliefs, games)
    assert len(daily) == beliefs.groupby(["game_id", "day"]).ngroups
    for row in daily.itertuples(index=False):
        part = beliefs[(beliefs["game_id"] == row.game_id) & (beliefs["day"] == row.day)]
        want = _networkx_indices(part)
        for key, value in want.items():
            got = getattr(row, key)
            if np.isnan(value) or (key == "assortativity" and not np.isfinite(value)):
                assert np.isnan(got) or not np.isfinite(value), (key, row)
            else:
                assert got == pytest.approx(value), (key, row.game_id, row.day)


def test_hand_game_day_one(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path))
    daily = network_by_day(frames["beliefs"], frames["games"]).set_index("day")
    # day 1 trust edges (p < 0.5): A→B,C,D; C→B,D,E,F; D→A,B,C,E; E→F (B's 0.5s are not edges): 12 of 6·5
    assert daily.loc[1, "nodes"] == 6
    assert daily.loc[1, "density"] == pytest.approx(12 / 30)
    assert daily.loc[1, "reciprocity"] == pytest.approx(4 / 12)  # A↔D and C↔D
    # in-trust of E on day 1: (0.2 + 0.5 + 0.9 + 0.7) / 5
    assert frames["beliefs"].query("day == 1 and target == 'E'")["p_traitor"].rsub(
        1
    ).sum() / 5 == pytest.approx(2.3 / 5)
    assert 0 <= daily.loc[1, "in_trust_traitor"] <= 1


def test_trust_weights_within_unit_interval(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path))
    graph = trust_graph(frames["beliefs"][frames["beliefs"]["day"] == 1])
    weights = [w for _, _, w in graph.edges(data="weight")]
    assert min(weights) >= 0 and max(weights) <= 1
    assert sum(nx.pagerank(graph, weight="weight").values()) == pytest.approx(1.0)


def test_elo_moves_winners_up(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path, hand_log("g1", model="m1"), hand_log("g2", model="m2")))
    elo = elo_ratings(frames).set_index(["model", "role"])
    assert elo.loc[("m1", "traitor"), "rating"] == pytest.approx(1508.0)  # K/2 from an even start
    assert elo.loc[("m1", "faithful"), "rating"] == pytest.approx(1492.0)
    assert elo.loc[("m2", "traitor"), "games"] == 1 and elo.loc[("m2", "traitor"), "wins"] == 1
    assert elo["rating"].sum() == pytest.approx(4 * 1500)
