"""`flask backup` / `flask restore`: a consistent copy that restores into a fresh database with
the same rows and the same money."""

from __future__ import annotations

import os
import stat
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from marketplace.extensions import db
from marketplace.ops import backup as ops_backup
from tests.factories import AdminFactory, MemberFactory, ProductFactory, UserFactory
from tests.helpers import pg_admin_url


def snapshot(url) -> tuple[dict[str, int], dict[str, int]]:
    """Row count of every table of the database and the sum of every ``*_cents`` column."""
    engine = create_engine(url, poolclass=NullPool)
    counts: dict[str, int] = {}
    money: dict[str, int] = {}
    try:
        inspector = inspect(engine)
        with engine.connect() as conn:
            quote = conn.dialect.identifier_preparer.quote
            for name in inspector.get_table_names():
                table = quote(name)
                counts[name] = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for column in inspector.get_columns(name):
                    if column["name"].endswith("_cents"):
                        total = conn.execute(
                            text(f"SELECT coalesce(sum({quote(column['name'])}), 0) FROM {table}")
                        ).scalar_one()
                        money[f"{name}.{column['name']}"] = int(total)
    finally:
        engine.dispose()
    return counts, money


@contextmanager
def fresh_database(tmp_path):
    """An empty database of the same kind as the test database."""
    url = make_url(str(db.engine.url.render_as_string(hide_password=False)))
    if url.get_backend_name() == "sqlite":
        yield url.set(database=str(tmp_path / "restored.sqlite3"))
        return
    import psycopg

    name = f"souk_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name)
    finally:
        with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populate() -> None:
    """Shoppers, cooperatives with members, products, orders and payments when they exist."""
    AdminFactory()
    UserFactory.create_batch(3)
    owner = MemberFactory()
    ProductFactory.create_batch(3, cooperative=owner.cooperative, price_cents=4550)
    ProductFactory(price_cents=123_456, stock=2)
    from tests import world

    world.add_orders_and_payments()


def test_backup_then_restore_into_a_fresh_database_keeps_rows_and_money(app, tmp_path):
    populate()
    source_url = db.engine.url.render_as_string(hide_password=False)
    before = snapshot(source_url)
    counts, money = before
    for table in ("users", "cooperatives", "products", "orders", "payments", "ledger_entries"):
        assert counts[table] > 0, table
    assert money["orders.total_cents"] > 0
    assert money["payments.received_cents"] > 0
    assert money["payouts.amount_cents"] > 0

    runner = app.test_cli_runner()
    archive = tmp_path / "nightly.dump"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert archive.stat().st_size > 0
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # personal data and bank details
    assert not list(tmp_path.glob(".*.partial"))

    with fresh_database(tmp_path) as target_url:
        ops_backup.restore(target_url, archive)
        assert snapshot(target_url) == before


def test_restore_command_replaces_the_current_data(app, tmp_path):
    UserFactory.create_batch(2)
    archive = tmp_path / "before.dump"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    UserFactory.create_batch(5)  # written after the backup: the restore removes them
    db.session.remove()

    result = runner.invoke(args=["restore", str(archive)], input="y\n")
    assert result.exit_code == 0, result.output
    counts, _ = snapshot(db.engine.url.render_as_string(hide_password=False))
    assert counts["users"] == 2


def test_restore_asks_for_confirmation(app, tmp_path):
    UserFactory()
    archive = tmp_path / "a.dump"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    UserFactory()
    result = runner.invoke(args=["restore", str(archive)], input="n\n")
    assert result.exit_code != 0
    counts, _ = snapshot(db.engine.url.render_as_string(hide_password=False))
    assert counts["users"] == 2


def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0
    assert "neither a pg_dump custom archive nor a SQLite database" in result.output


def test_restore_refuses_a_backup_of_the_other_database_kind(app, tmp_path):
    url = db.engine.url
    other = tmp_path / "other.dump"
    if url.get_backend_name() == "sqlite":
        other.write_bytes(b"PGDMP" + os.urandom(64))
    else:
        other.write_bytes(b"SQLite format 3\x00" + bytes(84))
    with pytest.raises(ops_backup.BackupError, match="backup; the database is"):
        ops_backup.restore(url, other)


def test_a_failed_backup_leaves_the_previous_one_in_place(app, tmp_path):
    archive = tmp_path / "keep.dump"
    archive.write_bytes(b"previous backup")
    with pytest.raises(ops_backup.BackupError):
        ops_backup.backup(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}", archive)
    assert archive.read_bytes() == b"previous backup"
    assert not list(tmp_path.glob(".*.partial"))


def test_sqlite_backup_is_a_consistent_single_file(tmp_path):
    import sqlite3

    live = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(live)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    conn.commit()  # the rows may still sit in the -wal file: a file copy would miss them
    result = ops_backup.backup(f"sqlite:///{live}", tmp_path / "copy.sqlite3")
    conn.close()
    copy = sqlite3.connect(result.path)
    assert copy.execute("SELECT count(*), sum(x) FROM t").fetchone() == (100, 4950)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    copy.close()


def test_pg_tool_refuses_client_tools_older_than_the_server():
    with pytest.raises(ops_backup.BackupError, match="postgresql-client-99"):
        ops_backup.pg_tool("pg_dump", 99)


@pytest.mark.skipif(not ops_backup.shutil.which("pg_dump"), reason="pg_dump not installed")
def test_pg_tool_finds_a_client_at_least_as_new_as_the_server():
    tool = ops_backup.pg_tool("pg_dump", 9)
    assert tool.endswith("pg_dump")
    assert (ops_backup._tool_major(tool) or 0) >= 9
