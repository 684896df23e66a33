"""Ranked recall for one agent: an in-process index per scope, refreshed from SQL, scored and packed.

A scope is one identity's items of one game and that game's public observations (stored once for every
player, see :data:`memory.tables.PUBLIC`), plus (with carry-over) the long-term kinds from its earlier
games. The index is a cache: it reads only rows with ``id`` above the last one it holds (so it stays
correct with other writers and is rebuilt from the database after a restart), plus the rows still
buffered in process; an item is known by (game, source event, kind), so a buffered row that is written
later is not counted twice. Items of earlier games are
older than any item of the current game: their age is ``now + games_back + (their game's last day - t)``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, or_, select

from memory.embed import Embedder, cosine_relevance
from memory.scoring import Bm25Index, Weights, combine, normalise, pack, when
from memory.tables import LONG_TERM, PUBLIC, importance_for, memory_carry, memory_items

_COLUMNS = ("id", "game_id", "day", "phase", "kind", "content", "importance", "source_seq", "personal")


@dataclass(frozen=True, slots=True)
class Recalled:
    """One retrieved memory item with its score and the parts of the score."""

    id: int
    game_id: str
    day: int
    phase: str
    kind: str
    content: str
    importance: float
    source_seq: int
    score: float
    recency: float
    relevance: float
    tokens: int


class ScopeIndex:
    """The items of one scope, in id order, with a BM25 index and (optionally) embeddings."""

    def __init__(
        self,
        identity: str,
        game_id: str,
        carry_over: bool,
        embedder: Embedder | None,
        terms_of: dict | None = None,
        *,
        player: str | None = None,
    ) -> None:
        self.identity, self.game_id, self.carry_over, self.player = identity, game_id, carry_over, player
        self.embedder = embedder
        self.rows: list[tuple] = []
        self.keys: set[tuple[str, int, str]] = set()
        self.games: dict[str, int] = {}
        self.last_id = 0
        self._pending_seen = (-1, 0, 0)  # (flush generation, own and public pending rows consumed)
        self.bm25 = Bm25Index(terms_of={} if terms_of is None else terms_of)
        self.vectors: list[np.ndarray] = []
        self._arrays: tuple[np.ndarray, ...] | None = None
        self._clock: np.ndarray | None = None
        self._matrix: np.ndarray | None = None

    def refresh(
        self,
        conn: Connection,
        pending: tuple[Sequence[tuple], Sequence[tuple]] = ((), ()),
        generation: int = 0,
        carried: Collection[tuple[str, str]] = (),
    ) -> None:
        """Take in the rows written since the last refresh, then the buffered rows (``ITEM_COLUMNS``
        tuples) of this identity and the public ones, ``pending``; ``generation`` tells when that buffer was
        flushed, ``carried`` which (identity, game) pairs not written yet are carry-over games."""
        t, c = memory_items.c, memory_carry.c
        game = t.game_id == self.game_id
        own = game
        if self.carry_over:
            earlier = select(c.game_id).where(c.identity == self.identity)
            own = or_(game, t.kind.in_(LONG_TERM) & t.game_id.in_(earlier))
        scope = or_((t.identity == self.identity) & own, (t.identity == PUBLIC) & game)
        columns = (t[name] for name in _COLUMNS)
        query = select(*columns).where(scope, t.id > self.last_id)
        fresh = [tuple(r) for r in conn.execute(query.order_by(t.id))]
        if fresh:
            self.last_id = fresh[-1][0]
        mine, public = pending
        gen, seen_mine, seen_public = self._pending_seen
        fresh_mine = mine[seen_mine:] if gen == generation else mine
        fresh_public = public[seen_public:] if gen == generation else public
        for (
            p
        ) in fresh_mine:  # identity, game_id, player, day, phase, kind, content, importance, seq, personal
            if p[1] == self.game_id or (
                self.carry_over and p[5] in LONG_TERM and (self.identity, p[1]) in carried
            ):
                fresh.append((0, p[1], *p[3:]))
        fresh.extend((0, p[1], *p[3:]) for p in fresh_public if p[1] == self.game_id)
        self._pending_seen = (generation, len(mine), len(public))
        added = []
        for row in fresh:
            key = (row[1], row[7], row[4])
            if key not in self.keys:
                self.keys.add(key)
                if row[8] is not None:
                    row = (*row[:6], importance_for(row[8], self.player, row[6]), row[7])
                self.rows.append(row[:8])
                self.games.setdefault(row[1], len(self.games))
                self.bm25.add(row[5])
                added.append(row[5])
        if added and self.embedder is not None:
            self.vectors.extend(self.embedder.embed(added))
        if added:
            self._arrays = self._clock = self._matrix = None

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(times, importance, game index, day, source_seq) as arrays, cached until the next refresh."""
        if self._arrays is None:
            rows = self.rows
            self._arrays = (
                np.fromiter((when(r[2], r[3]) for r in rows), float, len(rows)),
                np.fromiter((r[6] for r in rows), float, len(rows)),
                np.fromiter((self.games[r[1]] for r in rows), np.int64, len(rows)),
                np.fromiter((r[2] for r in rows), np.int64, len(rows)),
                np.fromiter((r[7] for r in rows), np.int64, len(rows)),
            )
        return self._arrays

    def clock(self) -> np.ndarray:
        """Each item's time on the current game's clock (earlier games pushed before its day 0), cached
        until the next refresh."""
        if self._clock is None:
            times, _, game_idx, _, _ = self.arrays()
            shift = np.zeros(len(self.games))
            order = [g for g in self.games if g != self.game_id]  # first-seen order = play order
            for back, g in enumerate(reversed(order), start=1):
                mask = game_idx == self.games[g]
                shift[self.games[g]] = (times[mask].max() if mask.any() else 0.0) + back
            self._clock = times - shift[game_idx] if order else times
        return self._clock

    def query(
        self, text: str, now: float, weights: Weights, k: int, token_budget: int, count_tokens
    ) -> list[Recalled]:
        """The best items for ``text`` at game time ``now``, at most ``k`` and ``token_budget`` tokens."""
        n = len(self.rows)
        if n == 0 or k <= 0 or token_budget <= 0:
            return []
        _, importance, _, days, seqs = self.arrays()
        if self.embedder is not None and text.strip():
            if self._matrix is None:
                self._matrix = np.vstack(self.vectors)
            relevance = cosine_relevance(self.embedder.embed([text])[0], self._matrix)
        else:
            relevance = normalise(self.bm25.scores(text))
        total, recency = combine(weights, now, self.clock(), importance, relevance)
        total = np.round(total, 12)
        counted: dict[int, int] = {}

        def tokens(i: int) -> int:
            counted[i] = counted.get(i) or count_tokens(self.rows[i][5])
            return counted[i]

        cut = min(n, max(4 * k, 64))
        while True:
            chosen = pack(self._ranked(total, days, seqs, cut).tolist(), tokens, k, token_budget)
            room = sum(t for _, t in chosen) < token_budget
            if cut >= n or len(chosen) >= k or not room:
                break
            cut = n  # items were skipped for size: rank everything
        out = []
        for i, t in chosen:
            r = self.rows[i]
            out.append(Recalled(*r, float(total[i]), float(recency[i]), float(relevance[i]), t))
        return out

    def _ranked(self, total: np.ndarray, days: np.ndarray, seqs: np.ndarray, cut: int) -> np.ndarray:
        """Indices of the ``cut`` best items (and all tied with the last), best first, ties broken on
        (newer day, later source event, game id, kind), so the order never depends on partitioning."""
        n = len(total)
        if cut < n:
            threshold = np.partition(total, n - cut)[n - cut]
            candidates = np.flatnonzero(total >= threshold)
        else:
            candidates = np.arange(n)
        games = np.fromiter((self.rows[i][1] for i in candidates), object, len(candidates))
        kinds = np.fromiter((self.rows[i][4] for i in candidates), object, len(candidates))
        keys = (kinds, games, -seqs[candidates], -days[candidates], -total[candidates])
        return candidates[np.lexsort(keys)]
