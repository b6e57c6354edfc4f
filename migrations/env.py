"""Alembic environment (Flask-Migrate): runs against the app's engine and metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_metadata():
    return current_app.extensions["migrate"].db.metadata


# Search objects created by the hand-written revision 0002_search, which the models do not
# map: the SQLite FTS5 table (and its shadow tables) and PostgreSQL's generated column
# products.search_vector with its GIN index. Autogenerate must never propose dropping them.
UNMAPPED_SEARCH_INDEX = "ix_products_search_vector"


def include_object(obj, name, type_, reflected, compare_to):
    if not reflected or compare_to is not None:
        return True
    if type_ == "table":
        return not (name or "").startswith("products_fts")
    if type_ == "column":
        return not (name == "search_vector" and obj.table.name == "products")
    if type_ == "index":
        return name != UNMAPPED_SEARCH_INDEX
    return True


def run_migrations_offline():
    url = get_engine().url.render_as_string(hide_password=False)
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True, include_object=include_object
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("include_object", include_object)

    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args.setdefault("process_revision_directives", process_revision_directives)
    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_sqlite_foreign_keys(connection)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection, *, on: bool) -> None:
    """On SQLite, batch mode changes a table by rebuilding it (create, copy, DROP, rename):
    with foreign keys enforced (marketplace/database.py) the DROP would first delete the
    table's rows, firing ON DELETE CASCADE / SET NULL in every table that references it
    (a product's translations, images, variants, cart items and order lines). So the
    migrations run with enforcement off, and it is checked once at the end. The PRAGMA is
    a no-op inside a transaction: it goes straight to the driver, before one begins."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_sqlite_foreign_keys(connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:10]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
