"""Consistent database backups and restores.

PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, even while the site runs) and
``pg_restore`` in a single transaction. SQLite: the online backup API (a consistent copy of the
live database, never a copy of the file, which could be caught mid-write).

Backups hold personal data and cooperatives' bank details: files are created readable by
their owner only (0600) and written under a temporary name, renamed once complete.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404  # runs pg_dump/pg_restore with fixed arguments, no shell
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
# Where Debian/Ubuntu install the client tools of each PostgreSQL major version.
PG_VERSIONED_BIN = Path("/usr/lib/postgresql")


class BackupError(Exception):
    """The backup or restore could not be done; the message says why (for the operator)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str  # "postgresql" | "sqlite"
    size_bytes: int


def backup_kind(path: Path) -> str:
    """``"postgresql"`` or ``"sqlite"`` from the file's magic bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from exc
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    raise BackupError(f"{path} is neither a pg_dump custom archive nor a SQLite database")


def database_kind(url: str | URL) -> str:
    backend = make_url(url).get_backend_name()
    if backend in ("postgresql", "sqlite"):
        return backend
    raise BackupError(f"backups of {backend} databases are not supported")


def backup(url: str | URL, path: str | os.PathLike) -> BackupResult:
    """Write a consistent backup of the database at ``url`` to ``path`` (replaced if present)."""
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    _private_empty_file(partial)
    kind = database_kind(url)
    try:
        if kind == "postgresql":
            _pg_backup(make_url(url), partial)
        else:
            _sqlite_backup(_sqlite_path(url), partial)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(target, kind, target.stat().st_size)


def restore(url: str | URL, path: str | os.PathLike) -> str:
    """Load the backup at ``path`` into the database at ``url``, replacing what it holds.

    The application's connections must be closed first (``db.engine.dispose()``)."""
    source = Path(path)
    kind = backup_kind(source)
    target_kind = database_kind(url)
    if kind != target_kind:
        raise BackupError(f"{source} is a {kind} backup; the database is {target_kind}")
    if kind == "postgresql":
        _pg_restore(make_url(url), source)
    else:
        _sqlite_restore(source, _sqlite_path(url))
    return kind


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_path(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only file-based SQLite databases can be backed up")
    return Path(database)


def _sqlite_backup(source: Path, destination: Path) -> None:
    if not source.exists():
        raise BackupError(f"the SQLite database {source} does not exist")
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)  # the online backup API: a consistent snapshot, WAL included
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
        _sqlite_check(dst, destination)
    finally:
        dst.close()
        src.close()


def _sqlite_restore(source: Path, destination: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _sqlite_check(src, source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(destination, timeout=30)
        try:
            src.backup(dst)  # replaces the whole destination database, atomically for readers
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restoring {source} failed: {exc}") from exc
    finally:
        src.close()


def _sqlite_check(conn: sqlite3.Connection, path: Path) -> None:
    try:
        (result,) = conn.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    if result != "ok":
        raise BackupError(f"{path} failed the SQLite integrity check: {result}")


# --- PostgreSQL --------------------------------------------------------------------------


def _pg_env(url: URL) -> dict[str, str]:
    """libpq environment for ``url`` (the password never appears on a command line)."""
    env = dict(os.environ)
    values = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    for key, value in values.items():
        if value:
            env[key] = str(value)
    if not url.database:
        raise BackupError("the PostgreSQL URL names no database")
    return env


def _server_major(url: URL) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            number = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    except Exception as exc:  # reported to the operator as is
        raise BackupError(f"cannot connect to PostgreSQL: {exc}") from exc
    finally:
        engine.dispose()
    return number // 10000


def _tool_major(executable: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list, no shell
            [executable, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s*(\d+)", out) or re.search(r"(\d+)\.\d+", out)
    return int(match.group(1)) if match else None


def pg_tool(name: str, server_major: int) -> str:
    """The newest ``pg_dump``/``pg_restore`` not older than the server (pg_dump refuses to
    dump a newer server). Looks in $PG_BIN_DIR, then $PATH, then /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(str(Path(os.environ["PG_BIN_DIR"]) / name))
    if found := shutil.which(name):
        candidates.append(found)
    if PG_VERSIONED_BIN.is_dir():
        candidates += [str(p) for p in sorted(PG_VERSIONED_BIN.glob(f"*/bin/{name}"))]
    versions = {c: _tool_major(c) for c in dict.fromkeys(candidates) if os.access(c, os.X_OK)}
    usable = [(major, c) for c, major in versions.items() if major and major >= server_major]
    if not usable:
        found_versions = sorted({m for m in versions.values() if m}) or "none"
        raise BackupError(
            f"{name} for PostgreSQL {server_major} or newer is needed (found: {found_versions});"
            f" install postgresql-client-{server_major} or set PG_BIN_DIR"
        )
    return max(usable)[1]


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(  # noqa: S603  # nosec B603  # fixed argument list, no shell
        argv, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.returncode}")


def _pg_backup(url: URL, destination: Path) -> None:
    env = _pg_env(url)
    major = _server_major(url)
    _run(
        [pg_tool("pg_dump", major), "--format=custom", f"--file={destination}", "--no-password"],
        env,
        "pg_dump",
    )
    # The archive must be readable back before it replaces the previous backup.
    _run([pg_tool("pg_restore", major), "--list", str(destination)], env, "checking the archive")


def _pg_restore(url: URL, source: Path) -> None:
    env = _pg_env(url)
    major = _server_major(url)
    _run(
        [
            pg_tool("pg_restore", major),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={url.database}",
            str(source),
        ],
        env,
        "pg_restore",
    )


def _private_empty_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
