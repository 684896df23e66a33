"""``model_calls`` rows written from the ``ModelCall`` events: one row per event, never per HTTP call.

The :class:`~agents.models.recorder.Recorder` measures each call (latency, cost, cache hit, what served
it) and hands the measurement to the :class:`CallLog` of its database, keyed by (game, player, request
hash). The call log is an event sink: put it right after the event store in the runner's ``Tee``. When a
phase's events are stored, it writes one row per ``ModelCall`` event: the reproducible facts (purpose,
model, tokens with reasoning tokens, attempts, outcome, request hash, day, phase) from the event, the
measurements from the matching measurement (NULLs if there is none: nothing is invented), and ``seq``,
unique with ``game_id``, so appending the same events again writes nothing. A phase lost in a crash is
measured again when the resumed game replays it (from the response cache: cost 0, the original cost kept)
and counted once.

Measurements of calls that no event records (made outside a game, or by an agent that then raised) are
dropped once their game's next batch is stored. Games played through a sink without the call log (or in
the batch's Ray scratch database) leave no rows.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, exc, insert, select

from agents.models.tables import ensure_tables, model_calls
from traitors.events import Event, ModelCall

#: Measured columns, filled from the Recorder's measurement of the call (NULL without one).
MEASURED = (
    "latency_ms",
    "cost_usd",
    "original_cost_usd",
    "cache_hit",
    "served_model",
    "system_fingerprint",
    "created_at",
)
#: At most this many measurements wait for their events (a sink without the call log would grow forever).
MAX_PENDING = 100_000

_SHARED: weakref.WeakKeyDictionary[Engine, CallLog] = weakref.WeakKeyDictionary()
_Key = tuple[str, str]  # (player, request_hash)


class CallLog:
    """The measurements waiting for their ``ModelCall`` events, and the sink that writes the rows."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # the tables are made on the first write (games without model calls need none)
        #: Opens the write transaction (a connection in a transaction); the engine's by default.
        self.writer: Callable[[], AbstractContextManager[Connection]] = self.engine.begin
        self._pending: OrderedDict[str, dict[_Key, list[dict[str, Any]]]] = OrderedDict()
        self._n = 0
        self._lock = threading.Lock()

    @classmethod
    def for_engine(cls, engine: Engine) -> CallLog:
        """The shared call log of ``engine`` in this process (the Recorder and the runner both find it)."""
        log = _SHARED.get(engine)
        if log is None:
            log = _SHARED[engine] = cls(engine)
        return log

    @classmethod
    def for_store(cls, store: Any) -> CallLog | None:
        """The call log of a ``traitors.store.Store``'s database, writing in the store's transactions
        (``None`` without a store)."""
        if store is None:
            return None
        log = cls.for_engine(store.engine)
        log.writer = store.transaction
        return log

    def measure(self, game_id: str | None, player: str | None, request_hash: str, **values: Any) -> None:
        """Keep the measurement of one call until its event arrives (calls outside a game are not kept)."""
        if not game_id or not player:
            return
        row = {k: values.get(k) for k in MEASURED}
        with self._lock:
            calls = self._pending.setdefault(game_id, {})
            calls.setdefault((player, request_hash), []).append(row)
            self._n += 1
            while self._n > MAX_PENDING and len(self._pending) > 1:
                _, dropped = self._pending.popitem(last=False)
                self._n -= sum(len(v) for v in dropped.values())

    def pending(self, game_id: str) -> int:
        """How many measurements of ``game_id`` wait for their events."""
        with self._lock:
            return sum(len(v) for v in self._pending.get(game_id, {}).values())

    def rows(self, events: Sequence[Event]) -> list[dict[str, Any]]:
        """The ``model_calls`` rows of a stored batch, consuming the matching measurements; the batch's
        games' other measurements (calls no event records, or made in an attempt that was lost) are
        dropped. For a key with more measurements than events, the newest ones are the events'."""
        calls = [e for e in events if isinstance(e, ModelCall) and e.route != "fallback"]
        games = {e.game_id for e in events}
        with self._lock:
            taken: dict[str, dict[_Key, list[dict[str, Any]]]] = {}
            for game_id in games:
                found = self._pending.pop(game_id, None)
                if found is not None:
                    self._n -= sum(len(v) for v in found.values())
                    taken[game_id] = found
        wanted: dict[tuple[str, _Key], int] = {}
        for e in calls:
            k = (e.game_id, (e.player, e.request_hash))
            wanted[k] = wanted.get(k, 0) + 1
        queues: dict[tuple[str, _Key], list[dict[str, Any]]] = {}
        for (game_id, key), n in wanted.items():
            measured = taken.get(game_id, {}).get(key, [])
            queues[(game_id, key)] = measured[-n:] if n < len(measured) else list(measured)
        out = []
        for e in calls:
            queue = queues[(e.game_id, (e.player, e.request_hash))]
            measured = queue.pop(0) if queue else dict.fromkeys(MEASURED)
            out.append(
                {
                    "game_id": e.game_id,
                    "seq": e.seq,
                    "player": e.player,
                    "day": e.day,
                    "phase": e.phase,
                    "purpose": e.purpose,
                    "model": e.model,
                    "prompt_tokens": e.prompt_tokens,
                    "completion_tokens": e.completion_tokens,
                    "cached_tokens": e.cached_tokens,
                    "reasoning_tokens": e.reasoning_tokens,
                    "attempts": e.attempts,
                    "outcome": e.outcome,
                    "request_hash": e.request_hash,
                    **measured,
                }
            )
        return out

    def append(self, events: Sequence[Event]) -> None:
        """Event-sink hook, called after the store has stored ``events``: write their ``model_calls``
        rows in one transaction (rows already stored for a (game_id, seq) are kept as they are)."""
        rows = self.rows(events)
        if not rows:
            return
        ensure_tables(self.engine)
        try:
            with self.writer() as conn:
                conn.execute(insert(model_calls), rows)
        except exc.IntegrityError:  # some of these events were appended before: write only the new ones
            with self.writer() as conn:
                seqs = [r["seq"] for r in rows]
                query = select(model_calls.c.game_id, model_calls.c.seq).where(
                    model_calls.c.game_id.in_({r["game_id"] for r in rows}),
                    model_calls.c.seq >= min(seqs),
                    model_calls.c.seq <= max(seqs),
                )
                stored = {tuple(r) for r in conn.execute(query)}
                new = [r for r in rows if (r["game_id"], r["seq"]) not in stored]
                if new:
                    conn.execute(insert(model_calls), new)
