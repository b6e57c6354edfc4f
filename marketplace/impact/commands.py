"""`flask create-observer EMAIL`: an account for council or ministry staff that reads the
impact dashboard and its exports, and nothing else. `flask impact-rebuild`: the dashboard's
rollup written again from the orders."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.errors import DomainError
from marketplace.extensions import db


@click.command("create-observer")
@click.argument("email")
@click.option("--name", default=None, help="Display name (default: the part before the @).")
@click.option(
    "--password",
    default=None,
    help="A password; without one, an e-mail asks the observer to choose it.",
)
@click.option("--locale", default=None, help="Language of the e-mails (ar, fr or en).")
@with_appcontext
def create_observer_command(
    email: str, name: str | None, password: str | None, locale: str | None
) -> None:
    """Create an observer account (or make an existing shopper account one)."""
    from marketplace.impact.observers import create_observer

    try:
        user, created = create_observer(email, name=name, password=password, locale=locale)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Observer {user.email} {'created' if created else 'granted'}.")


@click.command("impact-rebuild")
@with_appcontext
def impact_rebuild_command() -> None:
    """Write the impact dashboard's rollup (impact_sales) again from the orders: after data
    was loaded or changed in SQL, outside the application (also a nightly job)."""
    from marketplace.impact.rollup import rebuild

    summary = rebuild()
    db.session.commit()
    click.echo(f"impact_sales: {summary['lines']} order lines.")


COMMANDS = [create_observer_command, impact_rebuild_command]
