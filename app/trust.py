"""Trust between players for the trust page: edges of one day and a belief matrix over days (pure).

Trust is ``1 - p_traitor`` from each observer's last belief report of the day. A day without beliefs falls
back to its first-ballot banishment votes: a vote is an edge of trust 0 from voter to target.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from traitors.events import BeliefReported, Event, VoteCast

EDGE_COLUMNS = ["observer", "target", "trust", "source"]


def days_with_data(shown: Sequence[Event]) -> list[int]:
    """Days that have belief reports or banishment votes, ascending."""
    days = {e.day for e in shown if isinstance(e, BeliefReported)}
    days |= {e.day for e in shown if isinstance(e, VoteCast) and e.kind == "banish"}
    return sorted(days)


def trust_edges(shown: Sequence[Event], day: int, observer: str | None = None) -> pd.DataFrame:
    """Directed trust edges of ``day`` (optionally from one observer only): beliefs, else votes."""
    last: dict[str, BeliefReported] = {}
    for e in shown:
        if isinstance(e, BeliefReported) and e.day == day and observer in (None, e.observer):
            last[e.observer] = e
    rows = [
        {"observer": o, "target": t, "trust": 1.0 - p, "source": "beliefs"}
        for o, report in last.items()
        for t, p in report.beliefs.items()
    ]
    if not rows:
        rows = [
            {"observer": e.voter, "target": e.target, "trust": 0.0, "source": "votes"}
            for e in shown
            if isinstance(e, VoteCast)
            and e.kind == "banish"
            and e.ballot == 1
            and e.day == day
            and e.valid
            and e.target is not None
            and observer in (None, e.voter)
        ]
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)


def in_trust(edges: pd.DataFrame) -> pd.Series:
    """Mean trust each player receives (the node size of the network)."""
    if edges.empty:
        return pd.Series(dtype=float)
    return edges.groupby("target")["trust"].mean()


def belief_matrix(shown: Sequence[Event], observer: str | None = None) -> pd.DataFrame:
    """Mean P(traitor) per target (rows) and day (columns), over all observers or one; each observer's last
    report of a day counts once."""
    last: dict[tuple[int, str], BeliefReported] = {}
    for e in shown:
        if isinstance(e, BeliefReported) and observer in (None, e.observer):
            last[(e.day, e.observer)] = e
    rows = [
        {"day": day, "target": t, "p_traitor": p}
        for (day, _), report in last.items()
        for t, p in report.beliefs.items()
    ]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    return frame.pivot_table(index="target", columns="day", values="p_traitor", aggfunc="mean")
