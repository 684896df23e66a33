"""The SQL event store (SQLAlchemy 2 Core): any URL, SQLite by default, idempotent batch appends.

``events`` is the record of every game (unique ``game_id, seq``); ``games`` is a summary row per game,
written in the transaction of the game's first batch, of each day's first batch and of its last batch (its
``days`` and ``n_events`` may lag a running game by one phase; they are exact once it has ended).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    exc,
    insert,
    make_url,
    select,
    update,
)

from traitors.events import Event, GameCreated, GameEnded, event_from_json, event_to_json

DEFAULT_URL = "sqlite:///traitors.db"

metadata = MetaData()

games = Table(
    "games",
    metadata,
    Column("game_id", String(128), primary_key=True),
    Column("scenario", String(128), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("n_players", Integer, nullable=False),
    Column("n_traitors", Integer, nullable=False),
    Column("agents", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("winner", String(16)),
    Column("days", Integer, nullable=False, default=0),
    Column("n_events", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("game_id", String(128), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("day", Integer, nullable=False),
    Column("phase", String(16), nullable=False),
    Column("type", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_events_type", "type"),
)


class StoreError(RuntimeError):
    """A database that cannot be used; ``str()`` is one line and never shows a password."""


class DamagedGame(StoreError):
    """A stored game whose log is not a valid event log: a gap or a repeat in ``seq``, a payload that does
    not decode, an event of another game. ``seq`` is the first damaged position."""

    def __init__(self, game_id: str, seq: int, problem: str) -> None:
        super().__init__(f"game {game_id} is damaged at seq {seq}: {problem}")
        self.game_id, self.seq, self.problem = game_id, seq, problem


def decode_log(game_id: str, rows: Iterable[tuple[int, str]]) -> list[Event]:
    """The events of ``(seq, payload)`` rows in seq order, checked: seq runs 0, 1, 2, ... without a gap,
    every payload decodes, and each event is of ``game_id`` at its row's seq; else :class:`DamagedGame`."""
    out: list[Event] = []
    for expected, (seq, payload) in enumerate(rows):
        if seq != expected:
            missing = "missing" if seq > expected else "repeated"
            raise DamagedGame(game_id, expected, f"event {missing} (the next stored event has seq {seq})")
        try:
            event = event_from_json(payload)
        except ValueError as err:  # pydantic's ValidationError (bad JSON or a bad field) is a ValueError
            detail = str(err).strip().splitlines()
            raise DamagedGame(game_id, seq, f"payload does not decode ({detail[-1].strip()[:120]})") from None
        if event.seq != seq or event.game_id != game_id:
            raise DamagedGame(game_id, seq, f"payload is event {event.seq} of game {event.game_id}")
        out.append(event)
    return out


def resolve_url(url: str | None = None) -> str:
    """The URL given, else ``TRAITORS_DB``, else ``sqlite:///traitors.db``."""
    return url or os.environ.get("TRAITORS_DB") or DEFAULT_URL


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def open_engine(url: str | None = None) -> Engine:
    """A SQLAlchemy engine for ``url`` with SQLite tuned for concurrent games; raises :class:`StoreError`."""
    raw = resolve_url(url)
    try:
        parsed = make_url(raw)
    except exc.ArgumentError:
        raise StoreError(f"invalid database URL {raw!r}: expected e.g. sqlite:///traitors.db") from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = create_engine(parsed)
    except (exc.NoSuchModuleError, ModuleNotFoundError, ImportError) as err:
        raise StoreError(f"database URL {shown}: driver not available ({err})") from None
    except exc.ArgumentError as err:
        raise StoreError(f"database URL {shown}: {err}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@functools.cache
def _insert_events_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The events INSERT in ``dialect``'s paramstyle, and the column order if it is positional."""
    compiled = insert(events).compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup) if compiled.positional else None


_INSERT_GAME = insert(games)
_SUMMARY_EVENTS = frozenset({"game_created", "day_started", "game_ended"})
_UPDATE_GAME = update(games).where(games.c.game_id == bindparam("gid"))
_SELECT_RANGE = select(events.c.seq, events.c.payload).where(
    events.c.game_id == bindparam("gid"), events.c.seq >= bindparam("lo"), events.c.seq <= bindparam("hi")
)


def _write(conn: Connection, batch: Sequence[Event], rows: list[dict[str, Any]]) -> None:
    """Insert events (and the game's row on creation) and refresh the game's summary. The events go
    through the driver's ``executemany`` with SQL compiled once per dialect (the hot path of every game)."""
    now = datetime.now(UTC)
    for e in batch:
        if isinstance(e, GameCreated):
            conn.execute(
                _INSERT_GAME,
                {
                    "game_id": e.game_id,
                    "scenario": e.scenario,
                    "seed": e.seed,
                    "n_players": len(e.players),
                    "n_traitors": e.config["traitors"],
                    "agents": ",".join(sorted({p.agent for p in e.players})),
                    "status": "running",
                    "days": 0,
                    "n_events": 0,
                    "created_at": now,
                    "updated_at": now,
                },
            )
    sql, keys = _insert_events_sql(conn.dialect)
    conn.exec_driver_sql(sql, [tuple(r[k] for k in keys) for r in rows] if keys else rows)
    last = batch[-1]
    if not any(e.type in _SUMMARY_EVENTS for e in batch):
        return  # the summary row is refreshed once a day and at the end, not after every phase
    values: dict[str, Any] = {
        "gid": last.game_id,
        "days": last.day,
        "n_events": last.seq + 1,
        "updated_at": now,
    }
    if isinstance(last, GameEnded):
        values.update(status="finished", winner=last.winner)
    else:
        values.update(status="running", winner=None)
    conn.execute(_UPDATE_GAME, values)


class Store:
    """Events and game summaries in one SQL database. Implements the engine's ``EventSink``."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.engine = open_engine(url)
        self._writers = threading.local()  # one held connection per writing thread (appends are hot)
        self._held: list[Connection] = []
        self.url = self.engine.url.render_as_string(hide_password=True)
        database = self.engine.url.database
        local_file = self.engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        if not create and local_file and not os.path.exists(database):
            self.engine.dispose()
            raise StoreError(f"no database at {database}: play a game first with `traitors run`")
        try:
            if create:
                try:
                    metadata.create_all(self.engine)
                except exc.SQLAlchemyError:  # another process created the tables between check and create
                    metadata.create_all(self.engine)
            else:
                with self.engine.connect():
                    pass
        except exc.SQLAlchemyError as err:
            self.engine.dispose()
            detail = str(getattr(err, "orig", err)).strip().splitlines()[0] if str(err).strip() else "error"
            raise StoreError(f"cannot open database {self.url}: {detail}") from None

    def close(self) -> None:
        """Release connections."""
        for conn in self._held:
            conn.close()
        self._held.clear()
        self.engine.dispose()

    def _writer(self) -> Connection:
        """This thread's connection for appends, opened on first use and kept until :meth:`close`."""
        conn = getattr(self._writers, "conn", None)
        if conn is None or conn.closed:
            conn = self._writers.conn = self.engine.connect()
            self._held.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """This thread's writer connection, in a transaction: tables that other packages write beside the
        events (agent memory) share the appends' connection, and on SQLite its warm page cache."""
        conn = self._writer()
        with conn.begin():
            yield conn

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def append(self, batch: Sequence[Event]) -> None:
        """Store one batch atomically. Re-appending identical events is a no-op; a different event at
        an existing (game_id, seq) raises :class:`StoreError`."""
        if not batch:
            return
        rows = [
            {
                "game_id": e.game_id,
                "seq": e.seq,
                "day": e.day,
                "phase": e.phase,
                "type": e.type,
                "payload": event_to_json(e),
            }
            for e in batch
        ]
        conn = self._writer()
        try:
            with conn.begin():
                _write(conn, batch, rows)
        except exc.IntegrityError:  # some of these events are stored already: keep only the new ones
            with conn.begin():
                stored = dict(
                    conn.execute(
                        _SELECT_RANGE,
                        {"gid": rows[0]["game_id"], "lo": rows[0]["seq"], "hi": rows[-1]["seq"]},
                    ).all()
                )
                for row in rows:
                    if stored.get(row["seq"], row["payload"]) != row["payload"]:
                        raise StoreError(
                            f"game {row['game_id']}: a different event is already stored at seq {row['seq']}"
                        ) from None
                fresh = [i for i, r in enumerate(rows) if r["seq"] not in stored]
                if fresh:
                    _write(conn, [batch[i] for i in fresh], [rows[i] for i in fresh])

    def set_status(self, game_id: str, status: str) -> None:
        """Set a stored game's status (e.g. ``degraded``: ended, but a fallback made too many decisions)."""
        with self.engine.begin() as conn:
            conn.execute(update(games).where(games.c.game_id == game_id).values(status=status))

    def load_events(self, game_id: str) -> list[Event]:
        """All events of a game in seq order (empty if unknown); :class:`DamagedGame` when the stored log
        has a gap or a payload that does not decode (see :func:`decode_log`)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events.c.seq, events.c.payload)
                .where(events.c.game_id == game_id)
                .order_by(events.c.seq)
            )
            return decode_log(game_id, ((seq, payload) for seq, payload in rows))

    def logged_games(self) -> set[str]:
        """The ids of every game with stored events (with or without a games row)."""
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(events.c.game_id).distinct())}

    def games(self, status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Game summary rows, newest first."""
        query = select(games).order_by(games.c.created_at.desc(), games.c.game_id)
        if status:
            query = query.where(games.c.status == status)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def game(self, game_id: str) -> dict[str, Any] | None:
        """One game's summary row, or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(select(games).where(games.c.game_id == game_id)).first()
            return dict(row._mapping) if row else None

    def find_games(self, prefix: str) -> list[str]:
        """Game ids starting with ``prefix`` (for short ids on the command line)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(games.c.game_id).where(games.c.game_id.startswith(prefix, autoescape=True))
            )
            return sorted(r[0] for r in rows)
