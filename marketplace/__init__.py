"""Souk Drâa-Tafilalet: the application factory."""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module
from marketplace.models import DOMAINS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(config_module.INSTANCE_DIR),
        instance_relative_config=False,
    )
    config_class = config_module.config_for(config_name)
    app.config.from_object(config_class)
    app.config.update(overrides)
    config_class.init_app(app)
    if hops := app.config.get("PROXY_FIX_HOPS", 0):
        # Behind N reverse proxies: the client address and scheme from X-Forwarded-For/-Proto
        # (the Host header is kept: the proxy must pass it through).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    os.makedirs(app.instance_path, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    connect_receivers()
    from marketplace.api import init_app as init_api

    init_api(app)  # the JSON API under /api/v1/ (flask-smorest), unprefixed
    register_commands(app)
    from marketplace import cache as page_cache
    from marketplace import templating, web

    web.init_app(app)
    templating.init_app(app)
    page_cache.init_app(app)  # after web: its before_request runs after timing and CSRF
    from marketplace import transaction

    transaction.init_app(app)  # last: its after_request (the commit) runs first
    return app


def register_extensions(app: Flask) -> None:
    from marketplace import i18n
    from marketplace.database import init_database
    from marketplace.extensions import babel, cache, csrf, db, limiter, login_manager, migrate
    from marketplace.extensions import mail as mail_ext

    db.init_app(app)
    init_database(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=None)
    i18n.install_request_domain(app, babel)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail_ext.init_app(app)
    # Shared cache on Redis in production; per-process memory in development, none in tests.
    default_cache = "NullCache" if app.testing else "SimpleCache"
    app.config.setdefault(
        "CACHE_TYPE", "RedisCache" if app.config.get("REDIS_URL") else default_cache
    )
    app.config.setdefault("CACHE_REDIS_URL", app.config.get("REDIS_URL"))
    app.config.setdefault("CACHE_KEY_PREFIX", "souk:")
    app.config.setdefault("CACHE_NO_NULL_WARNING", True)
    cache.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Each domain's ``bp`` is served under /<locale>/; an optional ``root_bp`` is unprefixed
    (webhooks, sitemap, health checks, uploads)."""
    for domain in DOMAINS:
        package = import_module(f"marketplace.{domain}")
        app.register_blueprint(package.bp, url_prefix="/<locale:locale>")
        root_bp = getattr(package, "root_bp", None)
        if root_bp is not None:
            app.register_blueprint(root_bp)


def connect_receivers() -> None:
    """Every receiver of a domain signal (``marketplace.signals``) and of Flask-Login's login
    signal, connected here and nowhere else: a lower domain reacts to a higher one only
    through these. Connecting again (each test creates an app) is harmless: blinker keeps
    one connection per receiver."""
    from flask_login import user_logged_in

    from marketplace import signals
    from marketplace.catalogue import search as catalogue_search
    from marketplace.catalogue import seller_views as catalogue_seller
    from marketplace.fairs import services as fairs
    from marketplace.impact import rollup as impact_rollup
    from marketplace.jobs import runner as jobs
    from marketplace.labels import services as labels
    from marketplace.orders import cart
    from marketplace.payments import ledger, refunds
    from marketplace.payments import services as payments
    from marketplace.storefront import cooperative_pages

    # Placing an order creates its Payment row (card or cash on delivery).
    signals.order_placed.connect(payments._on_order_placed)
    # A sub-order's new status: the payment follows (cash collected, refunds) ...
    signals.sub_order_status_changed.connect(payments._on_sub_order_status_changed)
    # ... and the ledger records the sale, its commission or its reversal.
    signals.sub_order_status_changed.connect(ledger._on_sub_order_status_changed)
    # ... and the impact dashboard's rollup writes the order's lines again at the commit.
    signals.sub_order_status_changed.connect(impact_rollup._on_sub_order_status_changed)
    # Before a sub-order is cancelled: refund what was paid by card, or refuse.
    signals.sub_order_cancelling.connect(refunds._on_sub_order_cancelling)
    # Checkout asks which ways to pay are on (card when Stripe is configured) ...
    signals.payment_methods.connect(payments.offered_methods)
    # ... and where the cart can be collected (the fairs' stands).
    signals.pickup_options.connect(fairs._pickup_options)
    # A cooperative renamed in its profile: its products are found by the new names.
    signals.cooperative_renamed.connect(catalogue_search._on_cooperative_renamed)
    # A cooperative verified, suspended or reinstated: its products are indexed again.
    signals.cooperative_status_changed.connect(catalogue_search._on_cooperative_status_changed)
    # What the public sees of the catalogue: with HIDE_FOOD_WITHOUT_SANITARY, the labels hide
    # food whose sanitary authorisation expired.
    signals.product_visibility.connect(labels._product_visibility)
    # A cooperative's public pages show its products through the storefront.
    signals.cooperative_listing.connect(cooperative_pages._cooperative_listing)
    signals.cooperative_product_counts.connect(cooperative_pages._cooperative_product_counts)
    # The seller dashboard's home lists the cooperative's products and what needs attention.
    signals.seller_dashboard_home.connect(catalogue_seller._dashboard_home)
    # Logging in takes the anonymous cart along.
    user_logged_in.connect(cart._on_login)
    # A commit queued e-mails or messages: the job that sends them is enqueued.
    signals.queue_committed.connect(jobs.run_soon)


def register_commands(app: Flask) -> None:
    """Every ``marketplace.<domain>.commands`` module may list click commands in COMMANDS."""
    from marketplace import cli

    for command in cli.COMMANDS:
        app.cli.add_command(command)
    for domain in DOMAINS:
        try:
            module = import_module(f"marketplace.{domain}.commands")
        except ModuleNotFoundError as exc:
            if exc.name != f"marketplace.{domain}.commands":
                raise
            continue
        for command in getattr(module, "COMMANDS", ()):
            app.cli.add_command(command)
