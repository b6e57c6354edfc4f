"""Account commands: `flask create-admin EMAIL` creates an administrator (or promotes an
existing account); `flask set-user-active EMAIL --inactive|--active` (de)activates one."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.auth.services import create_admin, set_active, user_by_email
from marketplace.errors import DomainError
from marketplace.extensions import db


@click.command("create-admin")
@click.argument("email")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The password (asked for when not given).",
)
@click.option("--name", default=None, help="Display name (default: the part before the @).")
@with_appcontext
def create_admin_command(email: str, password: str, name: str | None) -> None:
    """Create an administrator account, or make an existing account an administrator."""

    try:
        user, created = create_admin(email, password, name)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    if created:
        click.echo(f"Administrator {user.email} created.")
    else:
        click.echo(f"{user.email} is now an administrator.")


@click.command("set-user-active")
@click.argument("email")
@click.option(
    "--active/--inactive",
    default=False,
    help="Reactivate (--active) or deactivate (--inactive, the default) the account.",
)
@with_appcontext
def set_user_active_command(email: str, active: bool) -> None:
    """Deactivate an account (ending all its sessions at once) or reactivate it."""

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email}.")
    set_active(user, active)
    db.session.commit()
    click.echo(f"{user.email} is now {'active' if active else 'deactivated'}.")


COMMANDS = [create_admin_command, set_user_active_command]
