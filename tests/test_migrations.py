"""Alembic migrations and the tables in code agree, on SQLite and PostgreSQL.

If this fails after you added or changed a table: register its module in ``traitors.schema.SCHEMA_MODULES``
(if new) and run ``alembic -x db=sqlite:///scratch.db upgrade head && alembic -x db=sqlite:///scratch.db
revision --autogenerate -m "what changed"``, then review the new file in ``traitors/migrations/versions``.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, Table, inspect, text

from traitors.schema import SCHEMA_MODULES, alembic_config, combined_metadata, upgrade
from traitors.store import Store, open_engine

ROOT = Path(__file__).resolve().parent.parent
HOW = "add a migration: alembic revision --autogenerate -m '...' (see tests/test_migrations.py)"


def differences(url: str) -> list:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": engine.dialect.name == "sqlite"}
            )
            return compare_metadata(context, combined_metadata())
    finally:
        engine.dispose()


def test_upgrade_head_matches_the_tables_in_code(db_url: str) -> None:
    upgrade(db_url)
    diff = differences(db_url)
    missing = sorted(d[1].name for d in diff if isinstance(d, tuple) and d[0] == "add_table")
    assert not missing, f"tables without a migration: {missing} ({HOW})"
    assert diff == [], f"tables in code and migrations differ ({HOW}):\n" + "\n".join(map(str, diff))
    with Store(db_url) as store:  # the store works on a migrated database
        assert store.games() == []


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    engine = open_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    assert differences(url) == []


def test_one_head_and_every_metadata_module_registered() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migration branches must be merged: heads {heads}"
    pattern = re.compile(r"^\w+\s*(?::\s*\w+\s*)?=\s*(?:sa\.|sqlalchemy\.)?MetaData\(", re.M)
    defining = set()
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("tests", "benchmarks", "build") or "migrations" in rel.parts:
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            defining.add(".".join(rel.with_suffix("").parts))
    missing = sorted(defining - set(SCHEMA_MODULES))
    assert not missing, f"modules define tables but are not in traitors.schema.SCHEMA_MODULES: {missing}"


def test_a_table_without_a_migration_is_caught(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)
    metadata = combined_metadata()
    Table("brand_new", metadata, Column("id", Integer, primary_key=True))
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert [d[0] for d in diff] == ["add_table"] and diff[0][1].name == "brand_new"


def _items(engine, where: str = "1 = 1") -> list[tuple]:
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            f"SELECT identity, player, kind, source_seq FROM memory_items WHERE {where} ORDER BY 1, 2, 4"
        ).all()


def test_memory_revision_keeps_old_rows_and_lists_carried_games(db_url: str) -> None:
    """Rows written before public observations were shared stay each player's own; every game with
    long-term items becomes a carried game, so carry-over still recalls it; the downgrade gives each
    player of the game its copy of a public observation back."""
    from memory import Memory

    command.upgrade(alembic_config(db_url), "70d8f3f94369")
    engine = open_engine(db_url)
    row = "INSERT INTO memory_items (identity, game_id, player, day, phase, kind, content, importance, "
    row += "source_seq) VALUES (:who, 'old', :name, 1, 'night', :kind, :content, 0.5, :seq)"
    with engine.begin() as conn:
        for who in ("heuristic|Alex", "heuristic|Bea"):
            name = who.split("|")[1]
            for kind, content, seq in (
                ("observation", "Day 1", 1),
                ("reflection", f"{name} suspects Gus", 5),
            ):
                values = {"who": who, "name": name, "kind": kind, "content": content, "seq": seq}
                conn.execute(text(row), values)
    upgrade(db_url)
    with engine.connect() as conn:
        carried = conn.exec_driver_sql("SELECT identity, game_id, player FROM memory_carry ORDER BY 1").all()
    assert [tuple(r) for r in carried] == [("heuristic|Alex", "old", "Alex"), ("heuristic|Bea", "old", "Bea")]
    memory = Memory(engine)
    mine = memory.items("old", player="Alex")
    assert [(r["kind"], r["content"]) for r in mine] == [
        ("observation", "Day 1"),
        ("reflection", "Alex suspects Gus"),
    ]
    recalled = memory.retrieve("heuristic|Alex", "Gus", game_id="new", day=1, carry_over=True, player="Alex")
    assert [r.content for r in recalled] == ["Alex suspects Gus"]
    public = {"identity": "*", "player": "*", "game_id": "old", "day": 2, "phase": "roundtable"}
    memory.add_items(
        [{**public, "kind": "observation", "content": "Bea voted Gus", "importance": 0.3, "source_seq": 9}]
    )
    memory.flush()
    engine.dispose()
    command.downgrade(alembic_config(db_url), "70d8f3f94369")
    engine = open_engine(db_url)
    assert _items(engine, "source_seq = 9") == [
        ("heuristic|Alex", "Alex", "observation", 9),
        ("heuristic|Bea", "Bea", "observation", 9),
    ]
    assert not _items(engine, "identity = '*'")
    engine.dispose()


def test_an_old_unversioned_database_is_refused_then_upgraded_by_the_cli(tmp_path: Path) -> None:
    """A database that `traitors run` made before this version (memory tables without `personal`, no
    alembic_version): `run` refuses it in one line and writes nothing; `traitors upgrade` stamps and
    migrates it; then games play and remember."""
    from typer.testing import CliRunner

    from traitors.cli import app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "70d8f3f94369")
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")  # as create_all left it
    engine.dispose()
    cli = CliRunner()
    refused = cli.invoke(app, ["run", "--db", url, "--seed", "1", "--quiet"])
    assert refused.exit_code == 2
    assert "traitors upgrade --db" in refused.output and "Traceback" not in refused.output
    assert Store(url, create=False).games() == []
    done = cli.invoke(app, ["upgrade", "--db", url])
    assert done.exit_code == 0 and "stamped 70d8f3f94369 (unversioned), then upgraded to head" in done.output
    assert differences(url) == []
    again = cli.invoke(app, ["upgrade", "--db", url])
    assert again.exit_code == 0 and "stamped" not in again.output
    played = cli.invoke(app, ["run", "--db", url, "--seed", "1", "--quiet"])
    assert played.exit_code == 0, played.output
    engine = open_engine(url)
    assert _items(engine, "identity = '*'")  # public observations, stored once
    engine.dispose()


def test_model_calls_revision_keeps_old_rows_and_downgrades_unknown_costs(db_url: str) -> None:
    """Rows from before model_calls came from the events keep a NULL seq; a row with an unknown cost is
    written after the upgrade; the downgrade turns unknown measurements into the old schema's zeros."""
    command.upgrade(alembic_config(db_url), "8b31467cd6bb")
    engine = open_engine(db_url)
    columns = "game_id, player, day, phase, purpose, model, prompt_tokens, completion_tokens, "
    columns += "cached_tokens, latency_ms, cost_usd, attempts, outcome, cache_hit, request_hash, created_at"
    old = f"INSERT INTO model_calls ({columns}) VALUES ('g', 'Alex', 1, 'night', 'murder', 'openai:m', "
    old += "10, 2, 0, 5.0, 0.5, 1, 'ok', false, 'h1', '2026-01-01 00:00:00')"
    with engine.begin() as conn:
        conn.execute(text(old))
    engine.dispose()
    upgrade(db_url)
    engine = open_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO model_calls (game_id, seq, model, prompt_tokens, completion_tokens, "
                "cached_tokens, attempts, outcome, request_hash) "
                "VALUES ('g', 9, 'openai:m', 1, 1, 0, 1, 'ok', 'h2')"
            )
        )
        rows = conn.exec_driver_sql("SELECT seq, cost_usd, latency_ms FROM model_calls ORDER BY id").all()
    assert [tuple(r) for r in rows] == [(None, 0.5, 5.0), (9, None, None)]
    engine.dispose()
    command.downgrade(alembic_config(db_url), "8b31467cd6bb")
    engine = open_engine(db_url)
    with engine.connect() as conn:
        query = "SELECT cost_usd, latency_ms, cache_hit FROM model_calls ORDER BY id"
        rows = conn.exec_driver_sql(query).all()
    assert [(r[0], r[1], bool(r[2])) for r in rows] == [(0.5, 5.0, False), (0.0, 0.0, False)]
    engine.dispose()


def test_an_unversioned_database_with_old_model_calls_is_stamped_then_upgraded(tmp_path: Path) -> None:
    from traitors.schema import upgrade_database

    url = f"sqlite:///{tmp_path / 'calls.db'}"
    command.upgrade(alembic_config(url), "8b31467cd6bb")
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")  # as create_all left it
    engine.dispose()
    assert "stamped 8b31467cd6bb (unversioned), then upgraded to head" in upgrade_database(url)
    assert differences(url) == []
