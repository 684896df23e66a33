"""Plain-text report of one player's memory and beliefs, day by day (``traitors show --as P --memory``)."""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import Engine, inspect, select

from memory.reads import read_items
from memory.tables import PUBLIC, beliefs, memory_items


def memory_report(engine: Engine, game_id: str, player: str) -> list[str]:
    """Lines describing ``player``'s memory items and belief reports in ``game_id``, grouped by day; reads
    only (a database without memory tables gives a one-line note)."""
    if not inspect(engine).has_table(memory_items.name):
        return ["No memory stored in this database (play with a store and memory on)."]
    b = beliefs.c
    with engine.connect() as conn:
        items = read_items(conn, game_id, player, None)  # its own and the game's public observations
        reports = conn.execute(
            select(b.seq, b.day, b.target, b.p_traitor, b.rationale)
            .where(b.game_id == game_id, b.observer == player)
            .order_by(b.seq, b.p_traitor.desc(), b.target)
        ).all()
    if not items and not reports:
        return [f"No memory of {player} in game {game_id}."]
    identities = sorted({r["identity"] for r in items if r["identity"] != PUBLIC})
    lines = [f"Memory of {player} ({', '.join(identities)}): {len(items)} items, {len(reports)} belief rows"]
    by_day: dict[int, list[str]] = {}
    for r in items:
        by_day.setdefault(r["day"], []).append(f"  [{r['kind']} {r['importance']:.2f}] {r['content']}")
    for (day, seq), rows in groupby(reports, key=lambda r: (r.day, r.seq)):
        rows = list(rows)
        probs = ", ".join(f"{r.target} {r.p_traitor:.0%}" for r in rows)
        why = f" — {rows[0].rationale}" if rows[0].rationale else ""
        by_day.setdefault(day, []).append(f"  beliefs (event {seq}): P(traitor) {probs}{why}")
    for day in sorted(by_day):
        lines.append(f"— Day {day} —" if day else "— Before the game —")
        lines.extend(by_day[day])
    return lines
