"""Revision 0005_locale renames orders.language to orders.locale (issue #11): taken down and
up again on the suite's database, on SQLite and on PostgreSQL, every order keeps its value,
under the old name in between and the new one after."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marketplace.extensions import db
from tests.factories import ProductFactory, UserFactory, place_test_order

BEFORE_RENAME = "0004_order_notices"


def _order_columns() -> set[str]:
    return {column["name"] for column in sa.inspect(db.engine).get_columns("orders")}


def _locale_of_each_order(column: str) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT number, {column} FROM orders ORDER BY number"))
        return [(number, value) for number, value in rows]


def test_every_order_keeps_its_locale_down_and_up_again(app):
    product = ProductFactory(stock=10)
    for locale in ("ar", "en"):
        place_test_order({product: 1}, user=UserFactory(locale=locale))
    db.session.commit()
    before = _locale_of_each_order("locale")
    assert sorted(value for _, value in before) == ["ar", "en"]
    db.session.remove()  # no transaction of the test's may hold the table
    try:
        downgrade(revision=BEFORE_RENAME)
        assert {"language"} <= _order_columns() and "locale" not in _order_columns()
        assert _locale_of_each_order("language") == before
    finally:
        upgrade()  # the other tests of this worker need the database at head
    assert {"locale"} <= _order_columns() and "language" not in _order_columns()
    assert _locale_of_each_order("locale") == before
