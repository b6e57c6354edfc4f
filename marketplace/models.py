"""Imports every domain's models so that Alembic and the mappers see all of them."""

from importlib import import_module

DOMAINS = (
    "auth",
    "cooperatives",
    "catalogue",
    "orders",
    "payments",
    "labels",
    "reviews",
    "storefront",
    "admin",
    "api",
    "jobs",
    "notify",
    "impact",
    "fairs",
)

for _domain in DOMAINS:
    try:
        import_module(f"marketplace.{_domain}.models")
    except ModuleNotFoundError as exc:  # a domain without models of its own
        if exc.name != f"marketplace.{_domain}.models":
            raise

import_module("marketplace.mail")  # the e-mail queue's table
import_module("marketplace.audit")  # the audit log
