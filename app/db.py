"""Read-only database access for the app: game lists, one game's events, optional tables (no Streamlit).

SQLite is opened with ``mode=ro`` (writes fail in the driver); PostgreSQL sessions default to read-only
transactions. Tables written by other packages (``model_calls``, ``llm_cache``, ``memory_items``,
``beliefs``) are reflected when present and ignored when absent.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, MetaData, Table, create_engine, event, func, inspect, make_url, select

from traitors.events import Event, event_from_json
from traitors.store import StoreError, resolve_url
from traitors.store import events as events_table
from traitors.store import games as games_table

#: Most rows the games list shows at once (filters narrow a 10,000-game database).
MAX_LISTED = 1000


def readonly_uri(path: str) -> str:
    """A SQLite URI opening ``path`` read-only: the path percent-quoted (``#``, ``?``, ``%`` and spaces
    would otherwise end the path or start the query, dropping ``mode=ro``) and made absolute."""
    absolute = os.path.abspath(path)
    return f"file:{urllib.parse.quote(absolute, safe='/')}?mode=ro"


def open_readonly(url: str | None = None) -> Engine:
    """An engine that can only read ``url`` (default ``TRAITORS_DB`` or ``sqlite:///traitors.db``)."""
    parsed = make_url(resolve_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:"):
            raise StoreError("the app needs a database file or server, not an in-memory SQLite database")

        uri = readonly_uri(path)

        def connect() -> sqlite3.Connection:
            try:
                return sqlite3.connect(uri, uri=True, check_same_thread=False)
            except sqlite3.OperationalError as err:
                raise StoreError(f"cannot open {path} read-only: {err}") from None

        engine = create_engine("sqlite://", creator=connect)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            conn.execute("PRAGMA busy_timeout=5000")

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, connect_args={"options": "-c default_transaction_read_only=on"})
    return create_engine(parsed)


def table_names(engine: Engine) -> set[str]:
    """Names of the tables in the database (empty when the file holds none)."""
    return set(inspect(engine).get_table_names())


def has_games(engine: Engine) -> bool:
    """Whether the database holds the event store's tables and at least one game."""
    if not {"games", "events"} <= table_names(engine):
        return False
    with engine.connect() as conn:
        return conn.execute(select(games_table.c.game_id).limit(1)).first() is not None


@dataclass(frozen=True)
class GameFilter:
    """Restrictions on the games list; empty tuples and ``None`` mean no restriction."""

    scenarios: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    winners: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None


def filter_options(engine: Engine) -> dict[str, list[str]]:
    """Distinct scenarios, agent/model names and winners, for the filter widgets."""
    with engine.connect() as conn:
        scenarios = [r[0] for r in conn.execute(select(games_table.c.scenario).distinct())]
        agent_sets = [r[0] for r in conn.execute(select(games_table.c.agents).distinct())]
        winners = [r[0] for r in conn.execute(select(games_table.c.winner).distinct()) if r[0]]
    models = sorted({a for s in agent_sets for a in s.split(",") if a})
    return {"scenario": sorted(scenarios), "model": models, "winner": sorted(winners)}


def _midnight(day: date) -> datetime:
    """The start of ``day`` in UTC (the store writes UTC times)."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_games(
    engine: Engine, flt: GameFilter = GameFilter(), limit: int = MAX_LISTED
) -> tuple[pd.DataFrame, int]:
    """Matching game summary rows, newest first (at most ``limit``), and how many match in total."""
    cond = []
    if flt.scenarios:
        cond.append(games_table.c.scenario.in_(flt.scenarios))
    if flt.winners:
        cond.append(games_table.c.winner.in_(flt.winners))
    for model in flt.models:
        agents = games_table.c.agents
        cond.append(
            (agents == model)
            | agents.startswith(f"{model},", autoescape=True)
            | agents.endswith(f",{model}", autoescape=True)
            | agents.contains(f",{model},", autoescape=True)
        )
    if flt.since:
        cond.append(games_table.c.created_at >= _midnight(flt.since))
    if flt.until:
        cond.append(games_table.c.created_at < _midnight(flt.until + timedelta(days=1)))
    cols = [
        games_table.c[c]
        for c in (
            "game_id",
            "scenario",
            "seed",
            "agents",
            "n_players",
            "n_traitors",
            "status",
            "winner",
            "days",
            "n_events",
            "created_at",
        )
    ]
    query = select(*cols).where(*cond).order_by(games_table.c.created_at.desc(), games_table.c.game_id)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(games_table).where(*cond)).scalar_one()
        rows = conn.execute(query.limit(limit)).all()
    frame = pd.DataFrame(rows, columns=[c.name for c in cols])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame, int(total)


def load_events(engine: Engine, game_id: str) -> list[Event]:
    """All events of one game in seq order (empty when unknown); one indexed query."""
    query = (
        select(events_table.c.payload).where(events_table.c.game_id == game_id).order_by(events_table.c.seq)
    )
    with engine.connect() as conn:
        return [event_from_json(r[0]) for r in conn.execute(query)]


def _pick(table: Table, *candidates: str) -> Any | None:
    return next((table.c[c] for c in candidates if c in table.c), None)


def optional_rows(
    engine: Engine,
    name: str,
    game_id: str | None = None,
    player: str | tuple[str, ...] | None = None,
    limit: int = 5000,
) -> pd.DataFrame | None:
    """Rows of an optional table (``None`` if absent), restricted to a game and a player (or any of several)
    when the table has such columns."""
    if name not in table_names(engine):
        return None
    table = Table(name, MetaData(), autoload_with=engine)
    cond = []
    game_col = _pick(table, "game_id", "game")
    if game_id is not None and game_col is not None:
        cond.append(game_col == game_id)
    player_col = _pick(table, "player", "owner", "agent_name", "observer")
    if player is not None and player_col is not None:
        cond.append(player_col.in_((player,) if isinstance(player, str) else player))
    with engine.connect() as conn:
        result = conn.execute(select(table).where(*cond).limit(limit))
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def cached_llm_exchange(engine: Engine, request_hash: str) -> dict[str, Any] | None:
    """The ``llm_cache`` row for ``request_hash`` (prompt and raw reply), or ``None``."""
    if not request_hash or "llm_cache" not in table_names(engine):
        return None
    table = Table("llm_cache", MetaData(), autoload_with=engine)
    key = _pick(table, "request_hash", "key", "hash", "cache_key")
    if key is None:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(table).where(key == request_hash).limit(1)).first()
    return dict(row._mapping) if row else None
