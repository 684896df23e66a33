"""Every table of the platform in one place (a composition-root module, like :mod:`traitors.runner`).

Each package keeps its own ``MetaData`` beside its tables; :data:`SCHEMA_MODULES` lists them, and Alembic
(``migrations/env.py``), the batch driver and the migration test read the whole schema from here. A module
that defines a new ``MetaData`` must be added to :data:`SCHEMA_MODULES` and get a migration
(``tests/test_migrations.py`` fails until both are done).
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData

#: Modules holding a module-level ``metadata = MetaData()`` with tables.
SCHEMA_MODULES: tuple[str, ...] = ("traitors.store", "agents.models.tables", "memory.tables")


def all_metadata() -> list[MetaData]:
    """The ``MetaData`` of every schema module, in :data:`SCHEMA_MODULES` order."""
    return [importlib.import_module(name).metadata for name in SCHEMA_MODULES]


def combined_metadata() -> MetaData:
    """One ``MetaData`` holding a copy of every table (what Alembic compares against)."""
    combined = MetaData()
    for metadata in all_metadata():
        for table in metadata.sorted_tables:
            if table.name in combined.tables:
                raise ValueError(f"table {table.name!r} is defined twice")
            table.to_metadata(combined)
    return combined


def create_all(engine: Engine) -> None:
    """Create every missing table (idempotent); run once before many processes write concurrently."""
    for metadata in all_metadata():
        metadata.create_all(engine)


def ensure_schema(url: str) -> None:
    """Make every table exist as this version has it: a fresh database is migrated (``upgrade head``, so it
    is versioned for later migrations); an existing one is brought to head (:func:`upgrade_database`)."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from traitors.store import open_engine

    engine = open_engine(url)
    try:
        if inspect(engine).get_table_names():
            upgrade_database(url)
            return
        # if another process creates tables meanwhile, upgrade fails and create_all fills in the rest
        with contextlib.suppress(SQLAlchemyError):
            upgrade(engine.url.render_as_string(hide_password=False))
        create_all(engine)
    finally:
        engine.dispose()


def _matching_revision(engine: Engine) -> str:
    """The revision whose tables an unversioned database (made by ``create_all``) has."""
    from sqlalchemy import inspect

    found = inspect(engine)
    tables = set(found.get_table_names())
    if "memory_items" in tables and "personal" not in {c["name"] for c in found.get_columns("memory_items")}:
        return "70d8f3f94369" if "llm_notes" in tables else "559100ccd901"
    calls = {c["name"] for c in found.get_columns("model_calls")} if "model_calls" in tables else set()
    if calls and "seq" not in calls:
        return "8b31467cd6bb"  # model_calls from before its rows came from the ModelCall events
    if calls and "reasoning_tokens" not in calls:
        return "3d2d86b544e1"  # model_calls from before reasoning tokens were recorded
    return "head"  # tables absent (create_all makes them as they are now) or already current


def upgrade_database(url: str) -> str:
    """Bring the database at ``url`` to the head revision and say what was done, in one line. A database
    that ``traitors run`` created before it was versioned is first stamped with the revision its tables
    match; every table still missing is then created."""
    from alembic import command
    from sqlalchemy import inspect

    from traitors.store import open_engine

    engine = open_engine(url)
    try:
        full = engine.url.render_as_string(hide_password=False)
        tables = set(inspect(engine).get_table_names())
        stamped = ""
        if tables and "alembic_version" not in tables:
            revision = _matching_revision(engine)
            command.stamp(alembic_config(full), revision)
            stamped = f"stamped {revision} (unversioned), then "
        upgrade(full)
        create_all(engine)
        return f"{engine.url.render_as_string(hide_password=True)}: {stamped}upgraded to head"
    finally:
        engine.dispose()


def alembic_config(url: str) -> Any:
    """An Alembic ``Config`` for this package's migrations on ``url`` (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (Alembic ``upgrade``)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
