"""``Memory``: the SQL memory of every agent in one database — buffered writes, reads, ranked recall.

Rows are buffered in process and written in one transaction once ``flush_every`` rows are waiting (at a
phase boundary), at the end of each game, and before the table reads. ``Memory`` is an event sink: put it
after the event store in the runner's ``Tee``; it learns there which events are stored and never writes a
row before its source event is, so a crash loses only buffered rows, and a resumed game writes them again
from its players' views. ``retrieve`` ranks buffered rows too: an agent always recalls what it has seen.
"""

from __future__ import annotations

import json
import weakref
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import Connection, Engine, inspect

from memory import reads
from memory.embed import Embedder
from memory.observe import DayDigest, Note, ballot_note, day_digest, note
from memory.retrieval import Recalled, ScopeIndex
from memory.scoring import Weights, approx_tokens, when
from memory.tables import (
    BELIEF_COLUMNS,
    CARRY_COLUMNS,
    ITEM_COLUMNS,
    PUBLIC,
    beliefs,
    create_tables,
    insert_rows,
    memory_carry,
    memory_items,
)
from traitors.events import Event, VoteCast, VoteResult
from traitors.store import Store, StoreError, open_engine
from traitors.views import PlayerView

_SHARED: weakref.WeakKeyDictionary[Engine, Memory] = weakref.WeakKeyDictionary()
_SEQ = attrgetter("seq")


@lru_cache(maxsize=4096)
def _json_key(name: str) -> str:
    return json.dumps(name)


def personal_json(personal: Mapping[str, float]) -> str | None:
    """``{player: importance}`` as a JSON object in insertion order (``None`` when empty): the same text as
    ``json.dumps``, without its per-call encoder set-up (about half the time for these small maps)."""
    if not personal:
        return None
    return "{" + ", ".join([f"{_json_key(k)}: {float(v)!r}" for k, v in personal.items()]) + "}"


def _public_row(event: Event, note: Note) -> tuple:
    """The ``memory_items`` row of a public event."""
    personal = personal_json(note.personal)
    return (
        PUBLIC,
        event.game_id,
        PUBLIC,
        event.day,
        event.phase,
        "observation",
        note.text,
        note.base,
        event.seq,
        personal,
    )


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
        flush_every: int = 5_000,
    ) -> None:
        self.engine = target if isinstance(target, Engine) else open_engine(target)
        found = inspect(self.engine)
        if found.has_table("memory_items") and "personal" not in {
            c["name"] for c in found.get_columns("memory_items")
        }:  # checked before anything is created, so a refused database is left as it was
            shown = self.engine.url.render_as_string(hide_password=True)
            how = f"traitors upgrade --db {shown}"
            raise StoreError(f"database {shown}: its memory tables predate this version; upgrade it: {how}")
        create_tables(self.engine)
        self.weights, self.count_tokens, self.embedder = weights or Weights(), count_tokens, embedder
        self.flush_every = flush_every
        #: Opens the write transaction (a connection in a transaction); the engine's by default.
        self.writer: Callable[[], AbstractContextManager[Connection]] = self.engine.begin
        self.pending: dict[str, list[tuple]] = {}  # identity (or PUBLIC) -> item rows (ITEM_COLUMNS order)
        self.generation = 0  # bumped on each flush (indexes re-read the pending lists)
        self._n_pending = 0
        self._beliefs: list[tuple] = []
        self._carry: list[tuple] = []  # memory_carry rows waiting
        self.carried: set[tuple[str, str]] = set()  # (identity, game_id) played with carry-over here
        self._cursors: dict[tuple[str, str], int] = {}
        self._stored: dict[str, int] = {}  # game_id -> last stored event seq (games seen by the sink)
        self._indexes: dict[tuple[str, str, bool], ScopeIndex] = {}
        self._notes: dict[str, dict[int, Note]] = {}  # game_id -> event seq -> note
        self._digests: dict[tuple[str, int], DayDigest] = {}
        self._terms: dict = {}  # text -> BM25 term counts, shared by every index (players see the same lines)
        self._games_read: set[str] = set()

    @classmethod
    def for_engine(cls, engine: Engine) -> Memory:
        """The shared ``Memory`` of ``engine`` in this process (one buffer and index cache per database)."""
        memory = _SHARED.get(engine)
        if memory is None:
            memory = _SHARED[engine] = cls(engine)
        return memory

    @classmethod
    def for_store(cls, store: Store) -> Memory:
        """The shared ``Memory`` of ``store``'s database, writing in the store's own transactions: on
        SQLite a separate connection would find its page cache stale after every event append and read
        the memory tables' pages again (about a fifth of what writing memory costs)."""
        memory = cls.for_engine(store.engine)
        memory.writer = store.transaction
        return memory

    def note(self, event: Event, votes: Sequence[VoteCast] = ()) -> Note:
        """The memory note of ``event``, or of a ballot when ``event`` is its result and ``votes`` its
        votes (cached: every player who saw it gets the same note)."""
        notes = self.notes_of(event.game_id)
        found = notes.get(event.seq)
        if found is None:
            found = ballot_note(votes, event) if isinstance(event, VoteResult) and votes else note(event)
            notes[event.seq] = found
        return found

    def notes_of(self, game_id: str) -> dict[int, Note]:
        """The notes of ``game_id`` made so far, by event seq (see :meth:`note`)."""
        found = self._notes.get(game_id)
        if found is None:
            if len(self._notes) > 1_000:  # games never ended (a crashed batch): keep the cache bounded
                self._notes.clear()
            found = self._notes[game_id] = {}
        return found

    def digest(self, view: PlayerView, day: int) -> DayDigest:
        """The public digest of a closed ``day`` (cached per game and day: it is the same for everyone)."""
        key = (view.game_id, day)
        found = self._digests.get(key)
        if found is None:
            if len(self._digests) > 10_000:
                self._digests.clear()
            found = self._digests[key] = day_digest(view.events, day)
        return found

    # -- writing ------------------------------------------------------------------------------------------

    def cursor(self, identity: str, game_id: str) -> int:
        """The highest event seq ``identity`` has observed in ``game_id`` (-1 if none); read from the
        database once per game on first use, so a restarted process never observes an event twice."""
        key = (identity, game_id)
        if key not in self._cursors:
            if game_id not in self._games_read:
                self._games_read.add(game_id)
                with self.engine.connect() as conn:
                    for ident, top in reads.read_cursors(conn, game_id).items():
                        self._cursors.setdefault((ident, game_id), top)
            self._cursors.setdefault(key, -1)
        return self._cursors[key]

    def new_game(self, game_id: str) -> None:
        """Note that ``game_id`` was just created, so it has no memory to read back yet."""
        self._games_read.add(game_id)

    def advance(self, identity: str, game_id: str, seq: int) -> None:
        """Record that ``identity`` has observed the events of ``game_id`` up to ``seq``."""
        self._cursors[(identity, game_id)] = max(self.cursor(identity, game_id), seq)

    def share(self, game_id: str, events: Sequence[Event]) -> None:
        """Buffer, once for every player of ``game_id``, the public events among ``events`` (a slice of a
        player's view, in seq order) that no player has recorded yet: every view shows every public event,
        so the first player to see one stores it (as a :data:`~memory.tables.PUBLIC` observation)."""
        shared = self.cursor(PUBLIC, game_id)
        if not events or events[-1].seq <= shared:
            return
        rows: list[tuple] = []
        votes: list[Event] = []  # a ballot's votes are shown together, then its result: one note
        for ev in events[bisect_right(events, shared, key=_SEQ) :]:
            if ev.audience is not None:
                continue
            if ev.type == "vote_cast":
                votes.append(ev)
                continue
            n = self.note(ev, votes)  # type: ignore[arg-type]
            if ev.type == "vote_result":
                votes = []
            rows.append(_public_row(ev, n))
        rows.extend(_public_row(ev, self.note(ev)) for ev in votes)  # votes without a result (never seen)
        self._cursors[(PUBLIC, game_id)] = events[-1].seq
        self.add_item_rows(PUBLIC, rows)

    def add_item_rows(self, identity: str, rows: Sequence[tuple]) -> None:
        """Buffer memory items of one identity, as tuples in ``ITEM_COLUMNS`` order (the fast path)."""
        if rows:
            self.pending.setdefault(identity, []).extend(rows)
            self._n_pending += len(rows)

    def add_items(self, rows: Sequence[dict[str, Any]]) -> None:
        """Buffer memory items given as mappings of ``ITEM_COLUMNS`` (``personal`` may be left out)."""
        for row in rows:
            values = tuple(row.get(c) if c == "personal" else row[c] for c in ITEM_COLUMNS)
            self.add_item_rows(row["identity"], [values])

    def add_beliefs(self, rows: Sequence[tuple | dict[str, Any]]) -> None:
        """Buffer belief rows (tuples in ``BELIEF_COLUMNS`` order, or mappings)."""
        rows = [r if isinstance(r, tuple) else tuple(r[c] for c in BELIEF_COLUMNS) for r in rows]
        self._beliefs.extend(rows)
        self._n_pending += len(rows)

    def carry(self, identity: str, game_id: str, player: str) -> None:
        """Record that ``identity`` plays ``game_id`` (as ``player``) with carry-over: its long-term items
        of this game are recalled in its later carry-over games."""
        if (identity, game_id) not in self.carried:
            self.carried.add((identity, game_id))
            self._carry.append((identity, game_id, player))
            self._n_pending += 1

    def flush(self) -> None:
        """Write in one transaction every buffered row whose source event is stored (rows already in the
        database are skipped); rows of a phase still being played stay buffered."""
        if not self._n_pending:
            return
        ready: list[tuple] = []
        later: dict[str, list[tuple]] = {}
        for identity, rows in self.pending.items():
            now, wait = self._split(rows, 1, 8)  # ITEM_COLUMNS: game_id at 1, source_seq at 8
            ready.extend(now)
            if wait:
                later[identity] = wait
        ready_beliefs, later_beliefs = self._split(self._beliefs, 0, 1)  # BELIEF_COLUMNS: game_id, seq
        with self.writer() as conn:
            insert_rows(conn, memory_items, ITEM_COLUMNS, ready)
            insert_rows(conn, beliefs, BELIEF_COLUMNS, ready_beliefs)
            insert_rows(conn, memory_carry, CARRY_COLUMNS, self._carry)
        self.pending, self._beliefs, self._carry = later, later_beliefs, []
        self._n_pending = sum(map(len, later.values())) + len(later_beliefs)
        self.generation += 1

    def _split(self, rows: list[tuple], game_at: int, seq_at: int) -> tuple[list[tuple], list[tuple]]:
        """``rows`` whose source event is stored, and the others (a game the sink has not seen counts as
        stored); ``game_at`` and ``seq_at`` locate the game id and the event seq in a row."""
        stored, big = self._stored, 1 << 62
        games = set(map(itemgetter(game_at), rows))
        if len(games) == 1 and max(map(itemgetter(seq_at), rows)) <= stored.get(games.pop(), big):
            return rows, []  # the usual case: one game, all stored
        ready: list[tuple] = []
        later: list[tuple] = []
        for row in rows:
            (later if row[seq_at] > stored.get(row[game_at], big) else ready).append(row)
        return ready, later

    def append(self, events: Sequence[Event]) -> None:
        """Event-sink hook, called after each phase's events are stored: note them, and flush once
        ``flush_every`` rows wait."""
        if events:
            self._stored[events[-1].game_id] = events[-1].seq
        if self._n_pending >= self.flush_every:
            self.flush()

    def end_game(self, game_id: str) -> None:
        """Write what ``game_id`` left buffered and drop its in-process caches (cursors, notes, digests,
        indexes): a long batch keeps only the games it is playing. Later reads go to the database."""
        self.flush()
        self._stored.pop(game_id, None)
        self._games_read.discard(game_id)
        self._cursors = {k: v for k, v in self._cursors.items() if k[1] != game_id}
        self._notes.pop(game_id, None)
        self._digests = {k: v for k, v in self._digests.items() if k[0] != game_id}
        self._indexes = {k: v for k, v in self._indexes.items() if k[1] != game_id}

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
        player: str | None = None,
    ) -> list[Recalled]:
        """The items of ``identity`` that best match ``query`` at (``day``, ``phase``) of ``game_id``, its
        own and the game's public observations: at most ``k`` items and ``token_budget`` tokens; with
        ``carry_over`` also the long-term items (reflections, plans, belief summaries) of its earlier games.
        ``player``: its seat in ``game_id``, for the importance public items have for it."""
        key = (identity, game_id, carry_over)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = ScopeIndex(
                identity, game_id, carry_over, self.embedder, self._terms, player=player
            )
        with self.engine.connect() as conn:
            pending = (self.pending.get(identity, ()), self.pending.get(PUBLIC, ()))
            index.refresh(conn, pending, self.generation, self.carried)
        return index.query(query, when(day, phase), self.weights, k, token_budget, self.count_tokens)

    def items(self, game_id: str, player: str | None = None, identity: str | None = None) -> list[dict]:
        """Memory items of one game, by day then source event; of one player or identity: its own and the
        game's public observations, with the importance they have for it (:func:`memory.reads.read_items`)."""
        self.flush()
        with self.engine.connect() as conn:
            return reads.read_items(conn, game_id, player, identity)

    def beliefs(self, game_id: str, observer: str | None = None) -> list[dict]:
        """Belief rows of one game (of one observer), in report order, including rows still buffered
        because their report's phase is not stored yet."""
        self.flush()
        with self.engine.connect() as conn:
            rows = reads.read_beliefs(conn, game_id, observer)
        waiting = [dict(zip(BELIEF_COLUMNS, r, strict=True)) for r in self._beliefs if r[0] == game_id]
        rows.extend(r for r in waiting if observer is None or r["observer"] == observer)
        return sorted(rows, key=lambda r: (r["seq"], r["target"]))

    def reputation(self, identity: str, exclude_game: str) -> dict[str, dict[str, float]]:
        """What ``identity`` learnt about recurring players in its other games (see
        :func:`memory.reads.read_reputation`)."""
        self.flush()
        with self.engine.connect() as conn:
            return reads.read_reputation(conn, identity, exclude_game)
