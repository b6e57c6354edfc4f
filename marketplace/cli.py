"""Commands that belong to no single domain. Domains list theirs in <domain>/commands.py."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace import demo, object_storage, storage
from marketplace.extensions import db
from marketplace.mail import mail_cli
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


@click.group("media")
def media_cli() -> None:
    """Uploaded files: images and verification documents."""


@media_cli.command("migrate-to-s3")
@with_appcontext
def migrate_command() -> None:
    """Copy the images (MEDIA_DIR) and documents (UPLOAD_DIR) on this disk to the S3 bucket.
    Safe to run again: files already copied (same checksum) are skipped. The local files are
    kept; remove them once the site runs on the bucket."""
    if not object_storage.enabled():
        raise click.ClickException("S3_BUCKET is not set: there is no bucket to copy to")

    def echo(line: str) -> None:
        click.echo(line, err=True)

    config = current_app.config
    total = {"copied": 0, "already_there": 0, "failed": 0}
    for label, folder, pattern, prefix, public in (
        ("images", config["MEDIA_DIR"], storage.MEDIA_FILE, object_storage.MEDIA_PREFIX, True),
        (
            "documents",
            config["UPLOAD_DIR"],
            storage.DOCUMENT_NAME,
            object_storage.DOCUMENT_PREFIX,
            False,
        ),
    ):
        counts = object_storage.migrate_folder(
            Path(folder), pattern, prefix, public=public, echo=echo
        )
        click.echo(
            f"{label}: {counts['copied']} copied, {counts['already_there']} already there, "
            f"{counts['failed']} failed"
        )
        for key in total:
            total[key] += counts[key]
    if total["failed"]:
        raise SystemExit(1)


COMMANDS: list = [*OPS_COMMANDS, mail_cli, media_cli, seed_demo_command]
