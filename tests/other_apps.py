"""A fixture for tests that need a second application configured differently (production
settings, a broken database, a proxy in front…), on the same test database. Import it into
the test module: ``from tests.other_apps import make_app_fixture  # noqa: F401``."""

from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.extensions import db


@pytest.fixture(name="make_app")
def make_app_fixture(database_url, tmp_path):
    made = []

    def make(config_name: str = "testing", **overrides):
        settings = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "LOG_JSON": False,
            # No background mail sender in the test process (tests/test_mail_queue.py covers it).
            "MAIL_DELIVERY": "after_commit",
            **overrides,
        }
        if config_name == "production":
            settings.setdefault("SECRET_KEY", "a-production-grade-secret-key-for-tests-0123")
            settings.setdefault("PUBLIC_BASE_URL", "https://souk.example.ma")  # required there
        other = create_app(config_name, **settings)
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()
