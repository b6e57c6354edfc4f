"""CLI commands of the catalogue: ``flask seed-demo``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.extensions import db


@click.command("seed-demo")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the catalogue already has products."
)
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo marketplace: cooperatives, products, pictures and three accounts."""
    from marketplace import demo

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


COMMANDS = [seed_demo_command]
