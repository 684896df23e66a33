"""The daily trust network: observer → target with weight trust = 1 − P(traitor) ∈ [0, 1].

Indices are computed for all games at once with closed forms that equal networkx's on the same graph
(tests check this): density, reciprocity and faction assortativity on the *trust edges* (trust > 0.5), and
in-trust centrality (mean incoming trust, weighted in-degree / (n − 1)) of Traitors and of Faithfuls.
:func:`trust_graph` builds the networkx graph of one game-day for the app and for such checks.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from metrics.payloads import codes
from metrics.tidy import PerGame, game_codes, per_game_mean

THRESHOLD = 0.5
INDICES = ("density", "reciprocity", "assortativity", "in_trust_traitor", "in_trust_faithful")


def trust_graph(beliefs: pd.DataFrame, threshold: float | None = None) -> nx.DiGraph:
    """networkx graph of one game-day's beliefs: node attribute ``role``, edge attribute ``weight`` = trust.
    With ``threshold``, only edges whose trust exceeds it are kept."""
    graph = nx.DiGraph()
    for _, r in beliefs.iterrows():
        graph.add_node(r["observer"], role=r["observer_role"])
        graph.add_node(r["target"], role=r["target_role"])
        trust = 1.0 - float(r["p_traitor"])
        if threshold is None or trust > threshold:
            graph.add_edge(r["observer"], r["target"], weight=trust)
    return graph


def _unique_reports(beliefs: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """One row per (game, day, observer, target): the day's last report."""
    g = game_codes(beliefs, games)
    tgt, names = pd.factorize(beliefs["target"])
    obs = codes(beliefs["observer"], pd.Index(names))
    if (obs < 0).any():  # an observer nobody reported on
        names = pd.Index(names).append(
            pd.Index(pd.unique(beliefs["observer"][obs < 0].to_numpy(dtype=object)))
        )
        obs = codes(beliefs["observer"], names)
    day = beliefs["day"].to_numpy(dtype=np.int64)
    span = int(day.max()) + 1
    n = len(names)
    frame = pd.DataFrame(
        {
            "unit": g.astype(np.int64) * span + day,
            "obs": obs,
            "tgt": tgt,
            "w": 1.0 - beliefs["p_traitor"].to_numpy(dtype=float),
            "obs_t": (beliefs["observer_role"] == "traitor").to_numpy(),
            "tgt_t": (beliefs["target_role"] == "traitor").to_numpy(),
        }
    )
    pair = (frame["unit"].to_numpy() * n + obs) * n + tgt
    dup = pd.Series(pair).duplicated(keep="last").to_numpy()
    if dup.any():
        frame = frame[~dup]
    frame.attrs.update(span=span, n_names=n)
    return frame.reset_index(drop=True)


def by_day(beliefs: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """Network indices per (game, day): game_id, day, nodes and every index in :data:`INDICES`."""
    cols = ["game_id", "day", "nodes", *INDICES]
    if beliefs.empty:
        return pd.DataFrame(columns=cols)
    r = _unique_reports(beliefs, games)
    span, n_names = r.attrs["span"], r.attrs["n_names"]
    unit = r["unit"].to_numpy()
    inv, units = pd.factorize(unit, sort=True)
    k = len(units)
    seen = np.zeros((k, n_names), dtype=bool)
    seen[inv, r["obs"].to_numpy()] = True
    seen[inv, r["tgt"].to_numpy()] = True
    nodes = seen.sum(axis=1)
    edge = r["w"].to_numpy() > THRESHOLD
    n_edges = np.bincount(inv[edge], minlength=k)
    pair = (unit * n_names + r["obs"].to_numpy()) * n_names + r["tgt"].to_numpy()
    back = (unit * n_names + r["tgt"].to_numpy()) * n_names + r["obs"].to_numpy()
    mutual = edge & pd.Series(back).isin(pd.Index(pair[edge])).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(nodes > 1, n_edges / (nodes * (nodes - 1.0)), np.nan)
        reciprocity = np.where(n_edges > 0, np.bincount(inv[mutual], minlength=k) / n_edges, np.nan)
        assort = _assortativity(inv[edge], r["obs_t"].to_numpy()[edge], r["tgt_t"].to_numpy()[edge], k)
        in_t, in_f = _in_trust(inv, r, nodes, k)
    out = pd.DataFrame(
        {
            "game_id": games["game_id"].to_numpy(dtype=object)[units // span],
            "day": units % span,
            "nodes": nodes,
            "density": density,
            "reciprocity": reciprocity,
            "assortativity": assort,
            "in_trust_traitor": in_t,
            "in_trust_faithful": in_f,
        }
    )
    return out[cols]


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


def _in_trust(inv: np.ndarray, r: pd.DataFrame, nodes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean in-trust centrality (incoming trust / (n − 1)) over the unit's Traitors and Faithfuls."""
    n_names = r.attrs["n_names"]
    incoming = np.zeros((k, n_names))
    np.add.at(incoming, (inv, r["tgt"].to_numpy()), r["w"].to_numpy())
    role = np.full((k, n_names), -1)
    role[inv, r["tgt"].to_numpy()] = r["tgt_t"].to_numpy().astype(int)
    central = incoming / np.maximum(nodes - 1, 1)[:, None]
    out = []
    for flag in (1, 0):
        mask = role == flag
        count = mask.sum(axis=1)
        out.append(np.where(count > 0, (central * mask).sum(axis=1) / np.maximum(count, 1), np.nan))
    return out[0], out[1]


def network_metrics(frames: dict[str, pd.DataFrame]) -> dict[str, PerGame]:
    """Each network index averaged over the game's days where it is defined (``net_<index>``)."""
    games = frames["games"]
    daily = by_day(frames["beliefs"], games)
    g = game_codes(daily, games)
    return {f"net_{i}": per_game_mean(g, daily[i].to_numpy(dtype=float), len(games)) for i in INDICES}
