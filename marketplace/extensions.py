"""Flask extensions, created unbound and initialised by the app factory."""

from __future__ import annotations

import flask_caching
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Cache(flask_caching.Cache):
    """Flask-Caching whose Redis client has the short timeouts of ``REDIS_OPTIONS`` (its
    default waits as long as the socket does: a hung Redis would hang every page). Other
    cache types take no socket options, so they get none."""

    def init_app(self, app, config=None) -> None:
        settings = {**app.config, **(config or {})}
        if "redis" in str(settings.get("CACHE_TYPE", "")).lower():
            options = {
                **app.config.get("REDIS_OPTIONS", {}),
                **(settings.get("CACHE_OPTIONS") or {}),
            }
            config = {**(config or {}), "CACHE_OPTIONS": options}
        super().init_app(app, config)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
mail = Mail()
cache = Cache()  # Redis when REDIS_URL is set (see register_extensions)
