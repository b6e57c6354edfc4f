"""The only place that talks to Stripe: a configured ``StripeClient`` and thin calls that
always carry an idempotency key we derive from our own ids.

``STRIPE_API_BASE`` (tests) points the official SDK at the local fake of the Stripe API.
"""

from __future__ import annotations

from typing import Any

import stripe
from flask import current_app

# Locales of the shop that Stripe Checkout also speaks; others let Stripe choose ("auto").
CHECKOUT_LOCALES = {"fr": "fr", "en": "en"}


class StripeUnavailable(RuntimeError):
    """Stripe is not configured, unreachable, or refused the request."""


def checkout_locale(locale: str) -> str:
    return CHECKOUT_LOCALES.get(locale, "auto")


def get_client() -> stripe.StripeClient:
    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise StripeUnavailable("STRIPE_SECRET_KEY is not set")
    cache = current_app.extensions.setdefault("stripe_clients", {})
    base = config.get("STRIPE_API_BASE") or None
    # The SDK waits 80 s per try by default: a slow Stripe would hold the pay button (and a
    # worker) for minutes. Retries reuse the idempotency key, so they are safe.
    timeout = float(config.get("STRIPE_TIMEOUT_SECONDS", 3))
    retries = int(config.get("STRIPE_MAX_NETWORK_RETRIES", 1))
    cache_key = (key, base, timeout, retries)
    client = cache.get(cache_key)
    if client is None:
        addresses = {"api": base, "connect": base, "files": base} if base else None
        client = stripe.StripeClient(
            key,
            base_addresses=addresses,
            max_network_retries=retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )
        cache[cache_key] = client
    return client


def _call(fn, *args, **kwargs) -> Any:
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        raise StripeUnavailable(str(exc)) from exc


def create_checkout_session(params: dict, idempotency_key: str):
    client = get_client()
    return _call(
        client.v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(session_id: str):
    return _call(get_client().v1.checkout.sessions.retrieve, session_id)


def expire_checkout_session(session_id: str, idempotency_key: str):
    return _call(
        get_client().v1.checkout.sessions.expire,
        session_id,
        options={"idempotency_key": idempotency_key},
    )


def list_checkout_sessions(created_since: int, limit: int = 100) -> list:
    page = _call(
        get_client().v1.checkout.sessions.list,
        params={"created": {"gte": created_since}, "limit": limit},
    )
    return list(page.auto_paging_iter())


def list_events(created_since: int, types: list[str], limit: int = 100) -> list:
    page = _call(
        get_client().v1.events.list,
        params={"created": {"gte": created_since}, "types": types, "limit": limit},
    )
    return list(page.auto_paging_iter())


def create_refund(params: dict, idempotency_key: str):
    return _call(
        get_client().v1.refunds.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )


def retrieve_refund(refund_id: str):
    return _call(get_client().v1.refunds.retrieve, refund_id)


def list_refunds(payment_intent: str) -> list:
    page = _call(
        get_client().v1.refunds.list, params={"payment_intent": payment_intent, "limit": 100}
    )
    return list(page.auto_paging_iter())


def create_transfer(params: dict, idempotency_key: str):
    return _call(
        get_client().v1.transfers.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    )
