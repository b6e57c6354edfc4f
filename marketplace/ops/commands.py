"""``flask backup PATH`` and ``flask restore PATH`` (listed in marketplace.cli.COMMANDS)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.extensions import db
from marketplace.ops.backup import BackupError
from marketplace.ops.backup import backup as backup_database
from marketplace.ops.backup import restore as restore_database


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent backup of the database to PATH (pg_dump -Fc or SQLite backup)."""
    try:
        result = backup_database(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{result.kind} backup written to {result.path} ({result.size_bytes} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database's content with the backup at PATH. Stop the application first."""
    url = db.engine.url
    if not yes:
        click.confirm(
            f"This replaces every row of {url.render_as_string(hide_password=True)}. Continue?",
            abort=True,
        )
    db.session.remove()
    db.engine.dispose()  # the restore needs the database to itself
    try:
        kind = restore_database(url, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{kind} backup {path} restored; run `flask db upgrade` if the code is newer")


COMMANDS = [backup_command, restore_command]
