"""Alembic environment: the whole platform's schema (``traitors.schema``), any database URL.

The URL comes from ``-x db=URL``, else the ``sqlalchemy.url`` option (set by ``traitors.schema.upgrade``),
else ``$TRAITORS_DB``, else ``sqlite:///traitors.db``. SQLite runs in batch mode (``render_as_batch``), so
``ALTER`` steps work there too.
"""

from __future__ import annotations

from alembic import context

from traitors.schema import all_metadata
from traitors.store import open_engine, resolve_url

config = context.config
target_metadata = all_metadata()


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("db")
        or config.get_main_option("sqlalchemy.url")
        or (resolve_url(None))
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""
    engine = open_engine(_url())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=engine.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
