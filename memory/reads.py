"""Plain reads of the memory tables: one game's items and belief rows, and an identity's reputation notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from memory.observe import traitors_in_summary
from memory.tables import PUBLIC, beliefs, importance_for, memory_carry, memory_items


def read_items(conn: Connection, game_id: str, player: str | None, identity: str | None) -> list[dict]:
    """Memory items of one game, by day, source event, kind. For one player or identity: its own items and
    the game's public observations (every player saw them), with ``importance`` as it is for that player
    (see :data:`memory.tables.PUBLIC`)."""
    t = memory_items.c
    query = select(memory_items).where(t.game_id == game_id)
    if player is not None or identity is not None:
        own = (t.player == player) if identity is None else (t.identity == identity)
        if player is not None and identity is not None:
            own = own & (t.player == player)
        query = query.where(own | (t.identity == PUBLIC))
    rows = [dict(r._mapping) for r in conn.execute(query.order_by(t.day, t.source_seq, t.kind, t.id))]
    seats = {r["player"] for r in rows if r["identity"] != PUBLIC}
    me = player if player is not None else (seats.pop() if len(seats) == 1 else None)
    if me is not None and (player is not None or identity is not None):
        for r in rows:
            r["importance"] = importance_for(r["personal"], me, r["importance"])
    return rows


def read_beliefs(conn: Connection, game_id: str, observer: str | None) -> list[dict]:
    """Belief rows of one game (of one observer), in report order."""
    t = beliefs.c
    query = select(beliefs).where(t.game_id == game_id)
    if observer is not None:
        query = query.where(t.observer == observer)
    return [dict(r._mapping) for r in conn.execute(query.order_by(t.seq, t.target))]


def read_cursors(conn: Connection, game_id: str) -> dict[str, int]:
    """Per identity (and :data:`~memory.tables.PUBLIC`), the highest event seq of its items in ``game_id``
    that are written only as the events up to them are observed: observations and belief summaries (not
    plans or reflections, which an agent may write before its day's events are recorded)."""
    t = memory_items.c
    rows = conn.execute(
        select(t.identity, func.max(t.source_seq))
        .where(t.game_id == game_id, t.kind.in_(("observation", "belief")))
        .group_by(t.identity)
    )
    return {identity: int(top) for identity, top in rows}


def read_reputation(conn: Connection, identity: str, exclude_game: str) -> dict[str, dict[str, float]]:
    """What ``identity`` learnt about recurring players in its other carry-over games: per player name, the
    games it met them in, how often they turned out to be a Traitor, and its mean last P(traitor) for them."""
    t, b, c = memory_items.c, beliefs.c, memory_carry.c
    carried = select(c.game_id).where(c.identity == identity)
    ends = conn.execute(
        select(t.game_id, t.content).where(
            t.game_id.in_(carried),
            t.identity == identity,
            t.kind == "belief",
            t.game_id != exclude_game,
            t.content.startswith("Game over"),
        )
    ).all()
    final: list[Any] = []
    for game_id, _ in ends:  # the last report of each earlier game (the unique index serves game_id)
        mine = (b.game_id == game_id) & (b.identity == identity)
        last = select(func.max(b.seq)).where(mine).scalar_subquery()
        final.extend(conn.execute(select(b.target, b.p_traitor).where(mine, b.seq == last)).all())
    return _summarise([r[1] for r in ends], final)


def _summarise(ends: Sequence[str], final: Sequence[Any]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    blank = {"games": 0, "traitor": 0, "p_sum": 0.0, "p_n": 0}
    for content in ends:
        traitors, players = traitors_in_summary(content)
        for p in players:
            rec = out.setdefault(p, dict(blank))
            rec["games"] += 1
            rec["traitor"] += p in traitors
    for target, p in final:
        rec = out.setdefault(target, dict(blank))
        rec["p_sum"] += p
        rec["p_n"] += 1
    return {
        name: {
            "games": r["games"],
            "traitor": r["traitor"],
            "mean_p": round(r["p_sum"] / r["p_n"], 3) if r["p_n"] else float("nan"),
        }
        for name, r in sorted(out.items())
    }
