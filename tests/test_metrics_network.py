"""Trust-network indices per round table and observer set: the vectorised closed forms equal networkx on
the same graphs; hand values on the hand-built game; Elo per model × role."""

from __future__ import annotations

import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from test_metrics_frames import hand_log, hand_store

from metrics import compute_metrics, elo_ratings, load_frames, network_by_round, trust_graph


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
    beliefs["round"] = beliefs["day"]
    games_frame = pd.DataFrame({"game_id": [f"g{g}" for g in range(games)]})
    return beliefs, games_frame


def _networkx_indices(day: pd.DataFrame, observers: str) -> dict[str, float]:
    """The indices of one round table from networkx graphs of the observer set's reports."""
    n = trust_graph(day).number_of_nodes()
    mine = day if observers == "all" else day[day["observer_role"] == observers]
    full, edges = trust_graph(mine), trust_graph(mine, threshold=0.5)
    reporters = set(mine["observer"])
    within = edges.subgraph(reporters)
    roles = {
        **dict(zip(day["observer"], day["observer_role"], strict=True)),
        **dict(zip(day["target"], day["target_role"], strict=True)),
    }
    mean_in = {v: full.in_degree(v, weight="weight") / full.in_degree(v) for v in full if full.in_degree(v)}
    assort = np.nan
    if observers == "all" and edges.number_of_edges():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                assort = nx.attribute_assortativity_coefficient(edges, "role")
            except (ZeroDivisionError, ValueError):
                assort = np.nan
    return {
        "nodes": n,
        "reporters": len(reporters),
        "density": edges.number_of_edges() / (len(reporters) * (n - 1)),
        "reciprocity": nx.reciprocity(within) if within.number_of_edges() else np.nan,
        "assortativity": assort,
        "in_trust_traitor": np.mean([c for v, c in mean_in.items() if roles[v] == "traitor"] or [np.nan]),
        "in_trust_faithful": np.mean([c for v, c in mean_in.items() if roles[v] == "faithful"] or [np.nan]),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_indices_equal_networkx(seed: int) -> None:
    beliefs, games = _random_beliefs(seed)
    table = network_by_round(beliefs, games)
    assert set(table["observers"]) == {"faithful", "traitor", "all"}
    assert (table["observers"] == "all").sum() == beliefs.groupby(["game_id", "round"]).ngroups
    for row in table.itertuples(index=False):
        part = beliefs[(beliefs["game_id"] == row.game_id) & (beliefs["round"] == row.round)]
        want = _networkx_indices(part, row.observers)
        for key, value in want.items():
            got = getattr(row, key)
            if np.isnan(value) or (key == "assortativity" and not np.isfinite(value)):
                assert np.isnan(got) or not np.isfinite(value), (key, row)
            else:
                assert got == pytest.approx(value), (key, row.game_id, row.round, row.observers)


def test_hand_game_round_one(tmp_path: Path) -> None:
    frames = load_frames(hand_store(tmp_path))
    table = network_by_round(frames["beliefs"], frames["games"])
    one = table[table["round"] == 1].set_index("observers")
    # round 1 trust edges (p < 0.5) from Faithfuls: A→B,C,D; C→B,D,E,F; D→A,B,C,E (B's 0.5s are not
    # edges): 11 of 4 observers · 5; E (a Traitor) adds E→F: 12 of 5 · 5 over every observer
    assert one.loc["faithful", "nodes"] == 6 and one.loc["faithful", "reporters"] == 4
    assert one.loc["faithful", "density"] == pytest.approx(11 / 20)
    assert one.loc["all", "density"] == pytest.approx(12 / 25)
    # among Faithful observers A↔D and C↔D are mutual: 4 of the 8 edges between A, B, C, D
    assert one.loc["faithful", "reciprocity"] == pytest.approx(4 / 8)
    assert one.loc["all", "reciprocity"] == pytest.approx(4 / 10)  # plus C→E, D→E; E→F ends at a non-reporter
    # Faithful trust in E (.2 .5 .9 .7) and F (.2 .5 .9 .4)
    assert one.loc["faithful", "in_trust_traitor"] == pytest.approx(np.mean([0.575, 0.5]))
    assert np.isnan(one.loc["faithful", "assortativity"]) and np.isfinite(one.loc["all", "assortativity"])
    long = compute_metrics(frames).set_index("metric")
    assert long.loc["net_density", "value"] == pytest.approx(
        table.query("observers == 'faithful'")["density"].mean()
    )
    assert "net_assortativity" not in long.index and "net_assortativity_by_all" in long.index


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
