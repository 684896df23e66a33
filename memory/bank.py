"""``Memory``: the SQL memory of every agent in one database — buffered writes, reads, ranked recall.

Writes are buffered and flushed in one transaction per phase: ``Memory`` is also an event sink, so
putting it after the event store in the runner's ``Tee`` flushes each phase's memory right after that
phase's events are stored (and ``retrieve`` flushes first, so an agent always recalls what it wrote).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, func, select

from memory.embed import Embedder
from memory.observe import render, traitors_in_summary
from memory.retrieval import Recalled, ScopeIndex
from memory.scoring import Weights, approx_tokens, when
from memory.tables import beliefs, create_tables, insert_ignoring_duplicates, memory_items
from traitors.events import Event
from traitors.store import open_engine

_SHARED: weakref.WeakKeyDictionary[Engine, Memory] = weakref.WeakKeyDictionary()


class Memory:
    """Persistent memory items and beliefs of all agents, with retrieval by recency, importance and
    relevance. ``target`` is a SQLAlchemy URL or engine (the event store's ``store.engine``)."""

    def __init__(
        self,
        target: str | Engine | None = None,
        *,
        weights: Weights | None = None,
        count_tokens: Callable[[str], int] = approx_tokens,
        embedder: Embedder | None = None,
        flush_every: int = 20_000,
    ) -> None:
        self.engine = target if isinstance(target, Engine) else open_engine(target)
        create_tables(self.engine)
        self.weights, self.count_tokens, self.embedder = weights or Weights(), count_tokens, embedder
        self.flush_every = flush_every
        self._items: list[dict[str, Any]] = []
        self._beliefs: list[dict[str, Any]] = []
        self._cursors: dict[tuple[str, str], int] = {}
        self._indexes: dict[tuple[str, str, bool], ScopeIndex] = {}
        self._texts: dict[tuple[str, int], str] = {}

    @classmethod
    def for_engine(cls, engine: Engine) -> Memory:
        """The shared ``Memory`` of ``engine`` in this process (one buffer and index cache per database)."""
        memory = _SHARED.get(engine)
        if memory is None:
            memory = _SHARED[engine] = cls(engine)
        return memory

    def render(self, event: Event) -> str:
        """The observation text of ``event`` (cached: every player who saw it gets the same line)."""
        key = (event.game_id, event.seq)
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) > 100_000:
                self._texts.clear()
            text = self._texts[key] = render(event)
        return text

    # -- writing ------------------------------------------------------------------------------------------

    def cursor(self, identity: str, game_id: str) -> int:
        """The highest event seq already observed by ``identity`` in ``game_id`` (-1 if none); read from
        the database on first use, so a restarted process never writes an observation twice."""
        key = (identity, game_id)
        if key not in self._cursors:
            t = memory_items.c
            with self.engine.connect() as conn:
                top = conn.execute(
                    select(func.max(t.source_seq)).where(
                        t.identity == identity, t.game_id == game_id, t.kind.in_(("observation", "belief"))
                    )
                ).scalar()
            self._cursors[key] = -1 if top is None else int(top)
        return self._cursors[key]

    def advance(self, identity: str, game_id: str, seq: int) -> None:
        """Record that events up to ``seq`` are observed (called with the rows that observe them)."""
        self._cursors[(identity, game_id)] = max(self.cursor(identity, game_id), seq)

    def add_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Buffer memory-item rows (columns of ``memory_items`` except ``id``)."""
        self._items.extend(rows)
        if len(self._items) + len(self._beliefs) >= self.flush_every:
            self.flush()

    def add_beliefs(self, rows: Sequence[dict[str, Any]]) -> None:
        """Buffer belief rows (columns of ``beliefs`` except ``id``)."""
        self._beliefs.extend(rows)

    def flush(self) -> None:
        """Write everything buffered in one transaction (rows already stored are skipped)."""
        if not self._items and not self._beliefs:
            return
        items, rows = self._items, self._beliefs
        self._items, self._beliefs = [], []
        with self.engine.begin() as conn:
            insert_ignoring_duplicates(conn, memory_items, items)
            insert_ignoring_duplicates(conn, beliefs, rows)

    def append(self, events: Sequence[object]) -> None:
        """Event-sink hook: a phase's events were stored, so flush this phase's memory."""
        self.flush()

    def close(self) -> None:
        """Flush what is buffered (the engine belongs to the caller when one was given)."""
        self.flush()

    # -- reading ------------------------------------------------------------------------------------------

    def retrieve(
        self,
        identity: str,
        query: str,
        *,
        game_id: str,
        day: int,
        phase: str = "roundtable",
        k: int = 8,
        token_budget: int = 800,
        carry_over: bool = False,
    ) -> list[Recalled]:
        """The items of ``identity`` that best match ``query`` at (``day``, ``phase``) of ``game_id``:
        at most ``k`` items and ``token_budget`` tokens; with ``carry_over`` also the long-term items
        (reflections, plans, belief summaries) of its earlier games."""
        self.flush()
        key = (identity, game_id, carry_over)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = ScopeIndex(identity, game_id, carry_over, self.embedder)
        with self.engine.connect() as conn:
            index.refresh(conn)
        return index.query(query, when(day, phase), self.weights, k, token_budget, self.count_tokens)

    def items(self, game_id: str, player: str | None = None, identity: str | None = None) -> list[dict]:
        """Memory items of one game (of one player or identity), in day then write order."""
        self.flush()
        t = memory_items.c
        query = select(memory_items).where(t.game_id == game_id)
        if player is not None:
            query = query.where(t.player == player)
        if identity is not None:
            query = query.where(t.identity == identity)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(t.day, t.source_seq, t.id))]

    def beliefs(self, game_id: str, observer: str | None = None) -> list[dict]:
        """Belief rows of one game (of one observer), in report order."""
        self.flush()
        t = beliefs.c
        query = select(beliefs).where(t.game_id == game_id)
        if observer is not None:
            query = query.where(t.observer == observer)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(t.seq, t.target))]

    def reputation(self, identity: str, exclude_game: str) -> dict[str, dict[str, float]]:
        """What ``identity`` learnt about recurring players in its other games: per player name, the games
        it met them in, how often they turned out to be a Traitor, and its mean last P(traitor)."""
        self.flush()
        t = memory_items.c
        with self.engine.connect() as conn:
            ends = conn.execute(
                select(t.game_id, t.content).where(
                    t.identity == identity,
                    t.kind == "belief",
                    t.game_id != exclude_game,
                    t.content.startswith("Game over"),
                )
            ).all()
            b = beliefs.c
            last = (
                select(b.game_id, func.max(b.seq).label("seq"))
                .where(b.identity == identity, b.game_id != exclude_game)
                .group_by(b.game_id)
                .subquery()
            )
            final = conn.execute(
                select(b.target, b.p_traitor).join(
                    last, (b.game_id == last.c.game_id) & (b.seq == last.c.seq)
                )
            ).all()
        return _summarise(ends, final)


def _summarise(ends: Sequence[Any], final: Sequence[Any]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for _, content in ends:
        traitors, players = traitors_in_summary(content)
        for p in players:
            rec = out.setdefault(p, {"games": 0, "traitor": 0, "p_sum": 0.0, "p_n": 0})
            rec["games"] += 1
            rec["traitor"] += p in traitors
    for target, p in final:
        rec = out.setdefault(target, {"games": 0, "traitor": 0, "p_sum": 0.0, "p_n": 0})
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
