"""Commands that belong to no single domain. Domains list theirs in <domain>/commands.py."""

import click
from flask.cli import with_appcontext

from marketplace import demo
from marketplace.extensions import db
from marketplace.mail import mail_cli
from marketplace.object_storage import media_cli
from marketplace.ops.commands import COMMANDS as OPS_COMMANDS


@click.command("seed-demo")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the catalogue already has products."
)
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo marketplace: cooperatives, products, pictures and three accounts."""
    if if_empty and not demo.catalogue_is_empty():
        click.echo("The catalogue already has products: demo data not loaded.")
        return
    ctx = demo.seed_demo(echo=click.echo)
    db.session.commit()
    created = ", ".join(f"{count} {kind}" for kind, count in ctx.created.items()) or "nothing new"
    click.echo(f"Demo marketplace ready ({created}).")
    click.echo(
        f"{len(ctx.cooperatives)} cooperatives, {len(ctx.products)} products, "
        f"{len(ctx.categories)} categories."
    )
    click.echo("Logins (e-mail / password):")
    for role, email, password in ctx.logins:
        click.echo(f"  {role:<8} {email} / {password}")


COMMANDS: list = [*OPS_COMMANDS, mail_cli, media_cli, seed_demo_command]
