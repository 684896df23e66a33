"""The trust network of each round table: observer → target with weight trust = 1 − P(traitor) ∈ [0, 1].

A *trust edge* is a report with trust > 0.5. Indices are computed per round table over the reports of one
**observer set** — ``faithful`` (the default metrics: the Traitors know every role, so their reports do not
measure what the table believes), ``traitor`` (the ``*_by_traitors`` variants) or ``all`` — for all games
at once with closed forms that equal networkx's on the same graph (tests check this):

- density: trust edges from the set's observers / (observers × (n − 1)), n = the living players
  (the nodes of the round table's reports): the share of their reports that express trust;
- reciprocity: among trust edges between two of the set's observers, the share whose reverse is a trust
  edge (networkx ``reciprocity`` on the subgraph of those observers);
- assortativity: Newman's faction assortativity of the trust edges (networkx
  ``attribute_assortativity_coefficient``); only for ``all``: with one faction of observers every edge
  starts in that faction and the coefficient is 0 by construction;
- in-trust of Traitors / of Faithfuls: the mean over the side's players of the mean trust the set's
  observers (other than the player) report in them (weighted in-degree / in-degree).

:func:`trust_graph` builds the networkx graph of one round table for the app and for such checks.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from metrics.payloads import codes
from metrics.tidy import ROUND_SPAN, PerGame, game_codes, per_game_mean, round_units

THRESHOLD = 0.5
INDICES = ("density", "reciprocity", "assortativity", "in_trust_traitor", "in_trust_faithful")
OBSERVERS = ("faithful", "traitor", "all")
#: Metric name suffix of each observer set (the Faithful observers' indices have the plain names).
SUFFIX = {"faithful": "", "traitor": "_by_traitors", "all": "_by_all"}
#: The indices reported as metrics per observer set.
REPORTED = {
    "faithful": ("density", "reciprocity", "in_trust_traitor", "in_trust_faithful"),
    "traitor": ("density", "reciprocity", "in_trust_traitor", "in_trust_faithful"),
    "all": ("assortativity",),
}


def trust_graph(beliefs: pd.DataFrame, threshold: float | None = None) -> nx.DiGraph:
    """networkx graph of one round table's beliefs: node attribute ``role``, edge attribute ``weight`` =
    trust. With ``threshold``, only edges whose trust exceeds it are kept."""
    graph = nx.DiGraph()
    for _, r in beliefs.iterrows():
        graph.add_node(r["observer"], role=r["observer_role"])
        graph.add_node(r["target"], role=r["target_role"])
        trust = 1.0 - float(r["p_traitor"])
        if threshold is None or trust > threshold:
            graph.add_edge(r["observer"], r["target"], weight=trust)
    return graph


def _unique_reports(beliefs: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """One row per (game, round table, observer, target): the last report."""
    tgt, names = pd.factorize(beliefs["target"])
    obs = codes(beliefs["observer"], pd.Index(names))
    if (obs < 0).any():  # an observer nobody reported on
        names = pd.Index(names).append(
            pd.Index(pd.unique(beliefs["observer"][obs < 0].to_numpy(dtype=object)))
        )
        obs = codes(beliefs["observer"], names)
    n = len(names)
    frame = pd.DataFrame(
        {
            "unit": round_units(beliefs, games),
            "day": beliefs["day"].to_numpy(dtype=np.int64),
            "obs": obs,
            "tgt": tgt,
            "w": 1.0 - beliefs["p_traitor"].to_numpy(dtype=float),
            "obs_t": (beliefs["observer_role"] == "traitor").to_numpy(),
            "tgt_t": (beliefs["target_role"] == "traitor").to_numpy(),
        }
    )
    pair = (frame["unit"].to_numpy() * n + obs) * n + tgt
    if (np.diff(np.sort(pair)) == 0).any():  # an observer reported twice at one round table: keep the last
        frame = frame[~pd.Series(pair).duplicated(keep="last").to_numpy()]
    frame.attrs.update(n_names=n)
    return frame.reset_index(drop=True)


def by_round(beliefs: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """Network indices per (game, round table, observer set): game_id, round, day, observers (the set),
    nodes (living players), reporters (the set's observers) and every index in :data:`INDICES`
    (assortativity only for ``all``)."""
    cols = ["game_id", "round", "day", "observers", "nodes", "reporters", *INDICES]
    if beliefs.empty:
        return pd.DataFrame(columns=cols)
    r = _unique_reports(beliefs, games)
    n = r.attrs["n_names"]
    unit = r["unit"].to_numpy()
    inv, units = pd.factorize(unit, sort=True)
    k = len(units)
    obs, tgt = r["obs"].to_numpy(), r["tgt"].to_numpy()
    at_obs = inv.astype(np.int64) * n + obs  # (unit, player) cells
    at_tgt = inv.astype(np.int64) * n + tgt
    seen = np.zeros(k * n, dtype=bool)
    seen[at_obs] = True
    seen[at_tgt] = True
    nodes = seen.reshape(k, n).sum(axis=1)
    day = np.zeros(k, dtype=np.int64)
    day[inv] = r["day"].to_numpy()
    w = r["w"].to_numpy()
    edge = w > THRESHOLD
    obs_t, tgt_t = r["obs_t"].to_numpy(), r["tgt_t"].to_numpy()
    pair = at_obs * n + tgt
    back = at_tgt * n + obs
    reverse = edge & (pd.Index(pair[edge]).get_indexer(back) >= 0)  # the reverse report is a trust edge
    role = np.full(k * n, -1, dtype=np.int8)
    role[at_tgt] = tgt_t
    parts = []
    for observers in OBSERVERS:
        mine = np.ones(len(r), dtype=bool) if observers == "all" else obs_t == (observers == "traitor")
        reporter = np.zeros(k * n, dtype=bool)
        reporter[at_obs[mine]] = True
        count = reporter.reshape(k, n).sum(axis=1)
        within = mine & edge & reporter[at_tgt]  # trust edges between two of the set's observers
        n_within = np.bincount(inv[within], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            density = np.where(
                (count > 0) & (nodes > 1),
                np.bincount(inv[mine & edge], minlength=k) / (count * (nodes - 1.0)),
                np.nan,
            )
            reciprocity = np.where(
                n_within > 0, np.bincount(inv[within & reverse], minlength=k) / n_within, np.nan
            )
        if observers == "all":
            assort = _assortativity(inv[edge], obs_t[edge], tgt_t[edge], k)
        else:
            assort = np.full(k, np.nan)
        in_t, in_f = _in_trust(at_tgt[mine], w[mine], role, k, n)
        parts.append(
            pd.DataFrame(
                {
                    "game_id": games["game_id"].to_numpy(dtype=object)[units // ROUND_SPAN],
                    "round": units % ROUND_SPAN,
                    "day": day,
                    "observers": observers,
                    "nodes": nodes,
                    "reporters": count,
                    "density": density,
                    "reciprocity": reciprocity,
                    "assortativity": assort,
                    "in_trust_traitor": in_t,
                    "in_trust_faithful": in_f,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out = out[out["reporters"].to_numpy() > 0]
    return out.sort_values(["game_id", "round", "observers"], kind="stable").reset_index(drop=True)[cols]


def _assortativity(inv: np.ndarray, src_t: np.ndarray, dst_t: np.ndarray, k: int) -> np.ndarray:
    """Newman's attribute assortativity of the faction mixing matrix of each unit's trust edges."""
    cell = src_t.astype(int) * 2 + dst_t.astype(int)
    m = np.zeros((k, 4))
    np.add.at(m, (inv, cell), 1.0)
    total = m.sum(axis=1, keepdims=True)
    e = np.divide(m, total, out=np.full_like(m, np.nan), where=total > 0)
    a_f, a_t = e[:, 0] + e[:, 1], e[:, 2] + e[:, 3]
    b_f, b_t = e[:, 0] + e[:, 2], e[:, 1] + e[:, 3]
    ab = a_f * b_f + a_t * b_t
    den = 1.0 - ab
    return np.where(np.abs(den) > 1e-12, (e[:, 0] + e[:, 3] - ab) / np.where(den == 0, 1, den), np.nan)


def _in_trust(
    cell: np.ndarray, w: np.ndarray, role: np.ndarray, k: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the mean over Traitor (then Faithful) targets of the mean trust reported in them
    (``cell`` = unit · n + target of each report; ``role`` per cell: 1 Traitor, 0 Faithful)."""
    total = np.bincount(cell, weights=w, minlength=k * n)
    count = np.bincount(cell, minlength=k * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (total / np.maximum(count, 1)).reshape(k, n)
    out = []
    for flag in (1, 0):
        mask = ((role == flag) & (count > 0)).reshape(k, n)
        m = mask.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(m > 0, (mean * mask).sum(axis=1) / np.maximum(m, 1), np.nan))
    return out[0], out[1]


def network_metrics(frames: dict[str, pd.DataFrame]) -> dict[str, PerGame]:
    """The indices of :data:`REPORTED`, each averaged over the game's round tables where it is defined:
    ``net_<index>`` for Faithful observers, ``net_<index>_by_traitors`` and ``net_assortativity_by_all``."""
    games = frames["games"]
    table = by_round(frames["beliefs"], games)
    out: dict[str, PerGame] = {}
    for observers, indices in REPORTED.items():
        part = table[table["observers"] == observers]
        g = game_codes(part, games)
        for index in indices:
            out[f"net_{index}{SUFFIX[observers]}"] = per_game_mean(
                g, part[index].to_numpy(dtype=float), len(games)
            )
    return out
