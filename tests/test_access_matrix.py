"""Who may use which route: every route of ``app.url_map``, requested with real ids as every
kind of visitor, must give the outcome declared in ROUTES below. A route missing from ROUTES
fails the test: every new route declares who may use it.

Outcomes: OK (200), LOGIN (redirect to the login page), DENIED (403), HIDDEN (404, the object
is not yours: you do not even learn it exists), REDIRECT (elsewhere, e.g. a logged-in user
opening /login), BAD (400), or any other status as an int.

POST routes: a POST without the CSRF token is refused (400) for everyone; every visitor whose
GET outcome is LOGIN/DENIED/HIDDEN also gets that outcome on a POST that *has* a valid CSRF
token (access is checked before anything else, and nothing changes). GET on a POST-only route
is 405. Every response carries the security headers.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Rule

from marketplace.extensions import db
from tests.helpers import login
from tests.world import World, build_world

# The non-owner member of cooperative A comes last: their column is member A's unless a
# route says otherwise (``non_owner``), as the owner and the team share the dashboard.
ROLES = (
    "anonymous",
    "shopper_a",
    "shopper_b",
    "member_a",
    "member_b",
    "pending_member",
    "admin",
    "member_a2",
    "observer",
)

OK, LOGIN, DENIED, HIDDEN, REDIRECT, BAD = "200", "login", "403", "404", "redirect", "400"


def row(*outcomes: Any, observer: Any = None) -> tuple:
    """Outcomes in the order of ROLES:
    anonymous, shopper A, shopper B, member A, member B, pending member, admin.

    The observer (council staff: the impact pages only) gets what shopper B gets (a logged-in
    account that owns nothing here: no order, no cooperative, no document) unless a row says
    otherwise with ``observer=``."""
    assert len(outcomes) == len(ROLES) - 2, outcomes
    return tuple(
        str(o) for o in (*outcomes, outcomes[3], outcomes[2] if observer is None else observer)
    )


# fmt: off
# Common rows      anonymous shopper A shopper B member A  member B  pending   admin
PUBLIC     = row(  OK,       OK,       OK,       OK,       OK,       OK,       OK)
LOGGED_IN  = row(  LOGIN,    OK,       OK,       OK,       OK,       OK,       OK)
# Members of a verified cooperative (the only ones who sell).
SELLER     = row(  LOGIN,    DENIED,   DENIED,   OK,       OK,       DENIED,   DENIED)
# Members of any cooperative, whatever its status.
MEMBER     = row(  LOGIN,    DENIED,   DENIED,   OK,       OK,       OK,       DENIED)
ADMIN      = row(  LOGIN,    DENIED,   DENIED,   DENIED,   DENIED,   DENIED,   OK)
# An object of cooperative A: its members only; another seller gets a 404.
SELLER_A   = row(  LOGIN,    DENIED,   DENIED,   OK,       HIDDEN,   DENIED,   DENIED)
# An object of cooperative A, where members of a pending cooperative get a 404 too.
SELLER_A_  = row(  LOGIN,    DENIED,   DENIED,   OK,       HIDDEN,   HIDDEN,   DENIED)
# An order of shopper A (placed while logged in): only A and the admins (customer support)
# see it; for anyone else it does not exist (guests see only orders placed in their browser).
ORDER_A    = row(  HIDDEN,   OK,       HIDDEN,   HIDDEN,   HIDDEN,   HIDDEN,   OK)
# The impact dashboard and its exports: observers and admins.
IMPACT     = row(  LOGIN,    DENIED,   DENIED,   DENIED,   DENIED,   DENIED,   OK, observer=OK)
GUEST_ONLY = row(  OK,       REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
NOBODY     = row(  HIDDEN,   HIDDEN,   HIDDEN,   HIDDEN,   HIDDEN,   HIDDEN,   HIDDEN)
# The API's routes for a cooperative's tools: a bearer token or 401 (problem+json).
BEARER     = row(  401,      401,      401,      401,      401,      401,      401)
# fmt: on


@dataclass
class Route:
    """Who may use an endpoint.

    ``get``: the outcome of a GET per role (None for a POST-only route).
    ``args``: the URL arguments, from the world; a list of dicts for several URLs (an endpoint
    with several rules, or objects in different states), each may carry its own ``expect`` row.
    ``post``: the outcome of a POST with a valid CSRF token and an empty form, per role
    (default: ``get``); only LOGIN/DENIED/HIDDEN cells are checked, as allowed roles would
    change data.
    """

    get: tuple | None
    args: Callable[[World], dict | list[dict]] = lambda w: {}
    post: tuple | None = None
    csrf_exempt: bool = False  # webhooks: authenticated by a signature instead
    query: str = ""
    note: str = ""

    def post_row(self) -> tuple | None:
        return self.post if self.post is not None else self.get


def order_a(w):
    return {"number": w.extra["order_a"].number}


def card_order_a(w):
    return {"number": w.extra["order_a_card_unpaid"].number}


def sub_order_a(w):
    return {"sub_order_id": w.extra["sub_order_a"].id}


def certificate_a(w):
    return {"certificate_id": w.extra["certificate_a"].id}


def review_a(w):
    return {"review_id": w.extra["review_a"].id}


def _unsubscribe_token(w):
    """The link in shopper A's messages (a signed token: whoever holds it may use it)."""
    from marketplace.notify.services import unsubscribe_token

    return unsubscribe_token(w.shopper_a.id, "order_status", "sms")


# The table: one entry per endpoint --------------------------------------------------------
INVALID_TOKEN = {"token": "not-a-real-token"}

ROUTES: dict[str, Route] = {
    # Foundation / ops
    "static": Route(PUBLIC, lambda w: {"filename": "css/main.css"}),
    "ops.healthz": Route(PUBLIC),
    # Storefront (public)
    "storefront.home": Route(PUBLIC),
    "storefront.products": Route(PUBLIC),
    "storefront.search": Route(PUBLIC, query="q=dates"),
    "storefront.category": Route(PUBLIC, lambda w: {"slug": w.category.slug}),
    "storefront.product": Route(
        PUBLIC,
        lambda w: [
            {"slug": w.product_a.slug},
            {"slug": w.product_a_draft.slug, "expect": NOBODY},  # a draft is not public
            {"slug": w.product_pending.slug, "expect": NOBODY},  # nor an unverified seller's
        ],
    ),
    "catalogue_root.sitemap": Route(PUBLIC),
    "catalogue_root.media": Route(PUBLIC, lambda w: {"name": w.extra["media_name"]}),
    "cooperatives.index": Route(PUBLIC),
    "cooperatives.detail": Route(
        PUBLIC,
        lambda w: [{"slug": w.coop_a.slug}, {"slug": w.coop_pending.slug, "expect": NOBODY}],
    ),
    # Accounts
    "auth.login": Route(GUEST_ONLY),
    "auth.register": Route(GUEST_ONLY),
    "auth.logout": Route(None, post=row(REDIRECT, OK, OK, OK, OK, OK, OK)),
    "auth.verify_email": Route(row(*[BAD] * 7), lambda w: INVALID_TOKEN),
    "auth.resend_verification": Route(None, post=LOGGED_IN),
    "auth.forgot_password": Route(PUBLIC),
    "auth.reset_password": Route(row(*[BAD] * 7), lambda w: INVALID_TOKEN),
    "auth.account": Route(LOGGED_IN),
    "auth.change_password": Route(LOGGED_IN),
    "auth.accept_invitation": Route(row(*[HIDDEN] * 7), lambda w: INVALID_TOKEN),
    "auth.invite_member": Route(MEMBER),
    "auth.cancel_invitation": Route(
        None, lambda w: {"invitation_id": w.extra["invitation_a"].id}, post=SELLER_A_
    ),
    "auth.remove_member": Route(None, lambda w: {"user_id": w.member_a2.id}, post=SELLER_A_),
    # Cooperative onboarding: shoppers may apply; members follow their application.
    "cooperatives.apply": Route(
        row(LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, DENIED, observer=DENIED),
        lambda w: [
            {},
            {
                "step": 1,
                "expect": row(LOGIN, OK, OK, REDIRECT, REDIRECT, REDIRECT, DENIED, observer=DENIED),
            },
        ],
    ),
    "cooperatives.application": Route(row(LOGIN, REDIRECT, REDIRECT, OK, OK, OK, REDIRECT)),
    # Only the owner of a rejected cooperative resubmits; anyone else is sent back.
    "cooperatives.resubmit": Route(None, post=row(LOGIN, *[REDIRECT] * 6)),
    "cooperatives.document": Route(
        row(LOGIN, HIDDEN, HIDDEN, OK, HIDDEN, HIDDEN, OK),
        lambda w: [
            {"doc_id": w.doc_a.id},
            {
                "doc_id": w.doc_pending.id,
                "expect": row(LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK, OK),
            },
        ],
    ),
    # Seller dashboard
    "cooperatives.dashboard": Route(MEMBER),
    # A cooperative's products (catalogue.seller_views): cooperative A's, a 404 for another.
    "catalogue.dashboard_products": Route(SELLER),
    "catalogue.product_new": Route(SELLER),
    "catalogue.product_edit": Route(SELLER_A, lambda w: {"product_id": w.product_a.id}),
    "catalogue.product_stock": Route(None, lambda w: {"product_id": w.product_a.id}, post=SELLER_A),
    "catalogue.product_images": Route(
        None, lambda w: {"product_id": w.product_a.id}, post=SELLER_A
    ),
    # A product's variants (catalogue.seller_views): cooperative A's, a 404 for another seller.
    "catalogue.variant_new": Route(SELLER_A, lambda w: {"product_id": w.product_a.id}),
    "catalogue.variant_edit": Route(SELLER_A, lambda w: {"variant_id": w.product_a.variants[0].id}),
    "catalogue.variant_action": Route(
        None, lambda w: {"variant_id": w.product_a.variants[0].id}, post=SELLER_A
    ),
    "catalogue.variant_stock": Route(
        None, lambda w: {"variant_id": w.product_a.variants[0].id}, post=SELLER_A
    ),
    "catalogue.variants_export": Route(SELLER),
    "catalogue.variants_import": Route(SELLER),
    "catalogue.variants_apply": Route(None, post=SELLER),
    "cooperatives.profile_edit": Route(SELLER),
    "cooperatives.shipping_edit": Route(SELLER),
    # Admin
    "admin.index": Route(ADMIN),
    "admin.application": Route(ADMIN, lambda w: {"cooperative_id": w.coop_pending.id}),
    "admin.audit_log": Route(ADMIN),
    "admin.mail_queue": Route(ADMIN),
    "jobs.admin_jobs": Route(ADMIN),
    "admin.mail_send_again": Route(
        None, lambda w: {"mail_id": w.extra["queued_mail"].id}, post=ADMIN
    ),
    # Notifications (SMS, WhatsApp): each user's own settings; the provider's signed callbacks
    "notify.preferences": Route(LOGGED_IN, note="one's own settings only: no id in the URL"),
    "notify.phone_start": Route(None, post=LOGGED_IN),
    "notify.phone_confirm": Route(None, post=LOGGED_IN),
    "notify.phone_remove": Route(None, post=LOGGED_IN),
    "notify.unsubscribe": Route(PUBLIC, lambda w: {"token": _unsubscribe_token(w)}),
    "notify.admin_messages": Route(ADMIN),
    "notify.admin_send_again": Route(None, lambda w: {"message_id": 1}, post=ADMIN),
    "notify_root.twilio_status": Route(None, post=row(*[DENIED] * 7), csrf_exempt=True),
    "notify_root.twilio_inbound": Route(None, post=row(*[DENIED] * 7), csrf_exempt=True),
    # Orders (guests may buy: the cart and checkout are open to everyone)
    "orders.cart": Route(PUBLIC),
    "orders.cart_add": Route(None, post=PUBLIC),
    "orders.cart_update": Route(None, post=PUBLIC),
    "orders.checkout": Route(row(*[REDIRECT] * 7), note="empty cart: back to the cart"),
    "orders.review": Route(row(*[REDIRECT] * 7), note="nothing to review: back to checkout"),
    "orders.history": Route(LOGGED_IN),
    "orders.detail": Route(ORDER_A, order_a),
    "orders.cancel": Route(None, order_a, post=ORDER_A),
    "orders.seller_orders": Route(MEMBER),
    "orders.seller_order": Route(SELLER_A_, sub_order_a),
    "orders.packing_slip": Route(SELLER_A_, sub_order_a),
    "orders.seller_transition": Route(None, sub_order_a, post=SELLER_A_),
    "orders.admin_orders": Route(ADMIN),
    # Payments
    "payments_root.stripe_webhook": Route(None, post=row(*[BAD] * 7), csrf_exempt=True),
    "payments.pay": Route(ORDER_A, card_order_a),
    "payments.success": Route(ORDER_A, card_order_a),
    "payments.cancelled": Route(ORDER_A, card_order_a),
    "payments.status": Route(ORDER_A, card_order_a),
    "payments.balance": Route(MEMBER),
    "payments.cash_collected": Route(None, sub_order_a, post=SELLER_A_),
    "payments.delivery_refused": Route(None, sub_order_a, post=SELLER_A_),
    "payments.admin_payments": Route(ADMIN),
    "payments.admin_order": Route(ADMIN, order_a),
    "payments.admin_payouts": Route(ADMIN),
    "payments.admin_payout_new": Route(None, post=ADMIN),
    "payments.admin_payout_batch": Route(ADMIN, lambda w: {"batch_id": w.extra["batch"].id}),
    "payments.admin_payout_csv": Route(ADMIN, lambda w: {"batch_id": w.extra["batch"].id}),
    "payments.admin_payout_rebuild": Route(
        None, lambda w: {"batch_id": w.extra["batch"].id}, post=ADMIN
    ),
    "payments.admin_payout_csv_again": Route(
        None, lambda w: {"batch_id": w.extra["batch"].id}, post=ADMIN
    ),
    "payments.admin_refund": Route(None, sub_order_a, post=ADMIN),
    "payments.admin_accept": Route(
        None, lambda w: {"payment_id": w.extra["payment_a"].id}, post=ADMIN
    ),
    "payments.admin_release": Route(
        None, lambda w: {"payment_id": w.extra["payment_a"].id}, post=ADMIN
    ),
    "payments.admin_resolve": Route(
        None, lambda w: {"payment_id": w.extra["payment_a"].id}, post=ADMIN
    ),
    # Labels and certificates
    "labels.index": Route(PUBLIC),
    "labels.label": Route(PUBLIC, lambda w: {"slug": w.extra["label"].slug}),
    "labels.certificate_document": Route(
        row(LOGIN, HIDDEN, HIDDEN, OK, HIDDEN, HIDDEN, OK), certificate_a
    ),
    "labels.seller_certificates": Route(MEMBER),
    "labels.seller_certificate_new": Route(SELLER),
    "labels.admin_labels": Route(ADMIN),
    "labels.admin_label_new": Route(ADMIN),
    "labels.admin_label_edit": Route(ADMIN, lambda w: {"label_id": w.extra["label"].id}),
    "labels.admin_label_delete": Route(
        None, lambda w: {"label_id": w.extra["label"].id}, post=ADMIN
    ),
    "labels.admin_certificates": Route(ADMIN),
    "labels.admin_certificate": Route(ADMIN, certificate_a),
    "labels.admin_certificate_decide": Route(None, certificate_a, post=ADMIN),
    # Reviews: the buyer of a delivered sub-order writes; the cooperative replies once; a
    # shopper or the reviewed cooperative reports; admins hide and restore.
    "reviews.mine": Route(LOGGED_IN),
    "reviews.write": Route(
        row(LOGIN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
        lambda w: {
            "sub_order_id": w.extra["review_sub_order_a"].id,
            "product_id": w.product_a.id,
        },
    ),
    "reviews.report": Route(None, review_a, post=row(LOGIN, OK, OK, OK, DENIED, DENIED, DENIED)),
    "reviews.product_reviews": Route(PUBLIC, lambda w: {"slug": w.product_a.slug}),
    "reviews.seller_reviews": Route(MEMBER),
    "reviews.seller_reply": Route(None, review_a, post=SELLER_A_),
    "reviews.admin_reviews": Route(ADMIN),
    "reviews.admin_moderate": Route(None, review_a, post=ADMIN),
    # Impact: the council's dashboard (observers and admins) and the public page
    "impact.public": Route(PUBLIC),
    "impact.dashboard": Route(IMPACT),
    "impact.export": Route(
        IMPACT, lambda w: [{"fmt": "xlsx"}, {"fmt": "csv", "table": "provinces"}]
    ),
    "impact.admin_observers": Route(ADMIN),
    # Fairs: public pages; cooperatives apply and hand over their fair-day orders; admins
    # create fairs and decide applications.
    "fairs.index": Route(PUBLIC),
    "fairs.detail": Route(PUBLIC, lambda w: {"slug": w.extra["fair"].slug}),
    "fairs.calendar": Route(PUBLIC, lambda w: {"slug": w.extra["fair"].slug}),
    "fairs.seller_fairs": Route(MEMBER),
    "fairs.seller_apply": Route(SELLER, lambda w: {"fair_id": w.extra["fair"].id}),
    "fairs.fair_day": Route(SELLER_A, lambda w: {"fair_id": w.extra["fair"].id}),
    "fairs.mark_collected": Route(
        None,
        lambda w: {"fair_id": w.extra["fair"].id, "sub_order_id": w.extra["sub_order_a"].id},
        post=SELLER_A,
    ),
    "fairs.admin_fairs": Route(ADMIN),
    "fairs.admin_fair_new": Route(ADMIN),
    "fairs.admin_fair": Route(ADMIN, lambda w: {"fair_id": w.extra["fair"].id}),
    "fairs.admin_decide": Route(
        None, lambda w: {"application_id": w.extra["stand_b"].id}, post=ADMIN
    ),
    # The JSON API (/api/v1/): public reads for everyone; a cooperative's own data only with
    # a bearer token (a logged-in session is not one): 401 problem+json without it.
    "api.categories": Route(PUBLIC),
    "api.products": Route(PUBLIC),
    "api.product": Route(
        PUBLIC,
        lambda w: [
            {"product_id": w.product_a.id},
            {"product_id": w.product_a_draft.id, "expect": NOBODY},
            {"product_id": w.product_pending.id, "expect": NOBODY},
        ],
    ),
    "api.cooperatives": Route(PUBLIC),
    "api.cooperative": Route(
        PUBLIC,
        lambda w: [
            {"cooperative_id": w.coop_a.id},
            {"cooperative_id": w.coop_pending.id, "expect": NOBODY},
        ],
    ),
    "api.search": Route(PUBLIC, query="q=dates"),
    "api.orders": Route(BEARER),
    "api.order": Route(BEARER, sub_order_a),
    "api.order_status": Route(None, sub_order_a, post=BEARER, csrf_exempt=True),
    "api.own_products": Route(BEARER),
    "api.bulk_update": Route(None, post=BEARER, csrf_exempt=True),
    "api_docs.openapi": Route(PUBLIC),
    "api_docs.docs": Route(PUBLIC),
    "api_dashboard.tokens_page": Route(SELLER),
    "api_dashboard.create_token": Route(None, post=SELLER),
    "api_dashboard.revoke_token": Route(
        None, lambda w: {"token_id": w.extra["api_token_a"].id}, post=SELLER_A
    ),
}

SECURITY_HEADERS_REQUIRED_CSP = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


# --- machinery ------------------------------------------------------------------------------


@dataclass
class Case:
    endpoint: str
    rule: Rule
    url: str
    expect: tuple | None = None  # this URL's GET row when it differs from the endpoint's


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.problems.append(message)


def app_endpoints(app) -> dict[str, list[Rule]]:
    endpoints: dict[str, list[Rule]] = {}
    for rule in app.url_map.iter_rules():
        endpoints.setdefault(rule.endpoint, []).append(rule)
    return endpoints


def build_cases(app, world: World, locale: str = "en") -> list[Case]:
    """One URL per rule of every endpoint, built with url_for from the table's arguments."""
    from flask import url_for

    cases: list[Case] = []
    adapter = app.url_map.bind("localhost")
    for endpoint, rules in sorted(app_endpoints(app).items()):
        spec = ROUTES.get(endpoint)
        if spec is None:  # reported by test_every_route_declares_who_may_use_it
            continue
        arg_sets = spec.args(world)
        arg_sets = arg_sets if isinstance(arg_sets, list) else [arg_sets]
        covered: set[str] = set()
        with app.test_request_context(f"/{locale}/"):
            for args in arg_sets:
                values = dict(args)
                expect = values.pop("expect", None)
                if any("locale" in r.arguments for r in rules):
                    values["locale"] = locale
                url = url_for(endpoint, **values)
                method = "GET" if spec.get is not None else "POST"
                rule, _ = adapter.match(url.split("?")[0], method=method, return_rule=True)
                assert rule.endpoint == endpoint, (url, rule.endpoint)
                covered.add(rule.rule)
                if spec.query:
                    url = f"{url}?{spec.query}"
                cases.append(Case(endpoint, rule, url, expect))
        missing = {r.rule for r in rules} - covered
        assert not missing, f"{endpoint}: give ROUTES[{endpoint!r}].args for the rules {missing}"
    # Reading the world opened a transaction in the test's session; on SQLite (BEGIN
    # IMMEDIATE) it would hold the write lock while the application serves the requests.
    db.session.commit()
    return cases


def outcome_matches(expected: str, response) -> bool:
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == LOGIN:
        return status in (302, 303) and "/login" in location
    if expected == REDIRECT:
        return status in (301, 302, 303, 307, 308) and "/login" not in location
    return status == int(expected)


def describe(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def check_headers(case: Case, method: str, response, report: Report) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    missing = [d for d in SECURITY_HEADERS_REQUIRED_CSP if d not in csp]
    script_src = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
    if missing or "'unsafe-inline'" in csp or "'unsafe-eval'" in csp or not script_src:
        report.add(f"{method} {case.url}: weak or missing CSP {csp!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        report.add(f"{method} {case.url}: no X-Content-Type-Options: nosniff")
    if not headers.get("Referrer-Policy"):
        report.add(f"{method} {case.url}: no Referrer-Policy")
    if not headers.get("X-Request-ID"):
        report.add(f"{method} {case.url}: no X-Request-ID")


# JSON-LD data blocks are not run (CSP does not apply to them).
INLINE_SCRIPT = re.compile(
    r'<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*\btype="application/ld\+json")[^>]*>', re.I
)
INLINE_STYLE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def check_html(case: Case, method: str, response, report: Report) -> None:
    """What the CSP would block (and so break) in a browser: inline scripts without the
    nonce, style="" attributes, on…="" handlers."""
    if response.mimetype != "text/html":
        return
    html = response.get_data(as_text=True)
    for name, pattern in (
        ("inline <script> without nonce", INLINE_SCRIPT),
        ('style="" attribute', INLINE_STYLE),
        ("inline event handler", INLINE_HANDLER),
    ):
        if match := pattern.search(html):
            report.add(f"{method} {case.url}: {name}: {match.group(0)[:120]!r}")


def csrf_token_for(app, client) -> str:
    """A valid CSRF token for ``client``'s session, as a form on any page would carry
    (what ``flask_wtf.csrf.generate_csrf`` does: a random value kept in the session, signed)."""
    with client.session_transaction() as sess:
        raw = sess.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())  # noqa: S324
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def client_for(app, world: World, role: str):
    client = app.test_client()
    if role != "anonymous":
        login(client, world.users()[role])
    return client


def fetch(client, method: str, url: str, report: Report, **kwargs):
    """The response (body read, file closed), or None after reporting an exception."""
    try:
        response = client.open(url, method=method, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a crash is a finding like any other; keep checking the rest
        report.add(f"{method} {url}: raised {exc!r}")
        return None
    response.get_data()
    response.close()
    return response


def private_data(world: World) -> list[tuple[str, str, set[str]]]:
    """What each account keeps to itself, with the roles allowed to read it: (what, marker,
    roles). A shopper's order is read by the shopper, the cooperative that fulfils it and the
    admins; a cooperative's bank account and its members' e-mails by its members and the
    admins."""
    shop_a = {"shopper_a", "member_a", "member_a2", "admin"}
    shop_b = {"shopper_b", "member_b", "admin"}
    coop_a = {"member_a", "member_a2", "admin"}
    coop_b = {"member_b", "admin"}
    extra = world.extra
    return [
        ("shopper A's order", extra["order_a"].number, shop_a),
        ("shopper A's e-mail", world.shopper_a.email, shop_a),
        ("shopper B's order", extra["order_b"].number, shop_b),
        ("shopper B's e-mail", world.shopper_b.email, shop_b),
        ("shopper B's name", world.shopper_b.name, shop_b),
        ("member A's e-mail", world.member_a.email, coop_a),
        ("member B's e-mail", world.member_b.email, coop_b),
        ("cooperative A's RIB", world.coop_a.rib, coop_a),
        ("cooperative B's RIB", world.coop_b.rib, coop_b),
        ("cooperative B's document", world.doc_b.original_name, coop_b),
        ("pending member's e-mail", world.pending_member.email, {"pending_member", "admin"}),
    ]


def check_no_private_data(role, method, case, response, secrets, report: Report) -> None:
    """A page a role may open shows nothing another account keeps to itself."""
    if not 200 <= response.status_code < 300 or response.mimetype not in TEXT_TYPES:
        return
    body = response.get_data(as_text=True)
    for what, marker, allowed in secrets:
        if role not in allowed and marker in body:
            report.add(f"{method} {case.url} as {role}: shows {what} ({marker!r})")


TEXT_TYPES = ("text/html", "text/plain", "text/csv", "application/json", "text/calendar")


def check(report: Report, role: str, method: str, case: Case, expected: str, response) -> None:
    if response is None:
        return
    check_headers(case, method, response, report)
    check_html(case, method, response, report)
    if not outcome_matches(expected, response):
        report.add(
            f"{method} {case.url} as {role}: expected {expected}, got {describe(response)}"
            f"  [{case.endpoint}]"
        )


def run_matrix(app, world: World, role: str) -> Report:
    report = Report()
    client = client_for(app, world, role)
    adapter = app.url_map.bind("localhost")
    index = ROLES.index(role)
    secrets = private_data(world)
    cases = build_cases(app, world)
    # Logging out comes last so that it cannot disturb the other checks.
    cases.sort(key=lambda c: c.endpoint == "auth.logout")
    for case in cases:
        spec = ROUTES[case.endpoint]
        methods = case.rule.methods or set()
        path = case.url.split("?")[0]
        if spec.get is not None:
            expected_get = (case.expect or spec.get)[index]
            response = fetch(client, "GET", case.url, report)
            check(report, role, "GET", case, expected_get, response)
            if response is not None:
                check_no_private_data(role, "GET", case, response, secrets, report)
        else:
            # GET on a POST-only route is 405, unless the URL is also another route's GET
            # (e.g. /verify/resend is also /verify/<token>).
            try:
                adapter.match(path, method="GET")
            except MethodNotAllowed:
                check(report, role, "GET", case, "405", fetch(client, "GET", path, report))
            except NotFound:  # pragma: no cover - a POST-only URL matched for GET
                pass
        if "POST" not in methods:
            continue
        post = spec.post_row()
        expected = post[index] if post else None
        if spec.csrf_exempt:
            check(report, role, "POST", case, expected, fetch(client, "POST", path, report))
            continue
        # No CSRF token: refused before anything else, whoever asks.
        response = fetch(client, "POST", path, report, data={})
        check(report, role, "POST", case, BAD, response)
        # A valid token but the wrong person: refused the same way as the GET, nothing changes.
        if expected in (LOGIN, DENIED, HIDDEN):
            data = {"csrf_token": csrf_token_for(app, client)}
            response = fetch(client, "POST", path, report, data=data)
            check(report, role, "POST", case, expected, response)
    return report


# --- tests ----------------------------------------------------------------------------------


def test_every_route_declares_who_may_use_it(app):
    endpoints = set(app_endpoints(app))
    undeclared = sorted(endpoints - set(ROUTES))
    assert not undeclared, (
        "These endpoints are not in the access matrix. Declare who may use them in ROUTES in "
        f"tests/test_access_matrix.py (one line each): {undeclared}"
    )
    stale = sorted(set(ROUTES) - endpoints)
    assert not stale, f"ROUTES lists endpoints that no longer exist; remove them: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, role):
    world = build_world()
    world.coop_b.rib = "007640000123456789012343"  # another valid RIB than A's
    world.doc_b.original_name = "statuts-cooperative-b.pdf"
    db.session.commit()
    report = run_matrix(app, world, role)
    assert not report.problems, "\n".join(
        [f"{len(report.problems)} access-matrix problem(s) as {role}:", *report.problems]
    )
