"""A small local fake of the Stripe HTTP API, for tests without the internet.

It speaks the wire format the official ``stripe`` SDK uses (form-encoded bodies with
``a[b][0][c]`` keys, JSON answers, ``Idempotency-Key`` headers) for the few resources the
marketplace uses: Checkout Sessions (create, retrieve, list, expire), refunds, transfers and
events (list). Disputes are opened and decided on Stripe's side only (by the tests:
``open_dispute``, ``close_dispute``), as are refunds made in Stripe's dashboard
(``dashboard_refund``). Tests drive what would happen on Stripe's side (a shopper paying, a session
expiring) through Python methods, build the matching events, and sign them with the real
webhook signature scheme (``stripe.WebhookSignature``).

Fixtures: ``stripe_fake`` (the server, emptied for each test) and ``stripe_keys`` (the app
configured with test keys and pointed at the fake). Import them into a test module.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from copy import deepcopy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

SECRET_KEY = "sk_test_fake_51Souk"
PUBLISHABLE_KEY = "pk_test_fake_51Souk"
WEBHOOK_SECRET = "whsec_test_fake_secret"
DISPUTE_CLOSED = ("won", "lost", "warning_closed")
_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(pairs: list[tuple[str, str]]) -> dict:
    """``line_items[0][price_data][currency]=mad`` → nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        match = _KEY_RE.match(key)
        if not match:
            continue
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class StripeApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": kind, "message": message, **extra}}


class FakeStripe:
    """State of the fake Stripe account, and the HTTP server that serves it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.sessions: dict[str, dict] = {}
            self.line_items: dict[str, list] = {}
            self.refunds: dict[str, dict] = {}
            self.transfers: dict[str, dict] = {}
            self.disputes: dict[str, dict] = {}
            # Connected accounts Stripe no longer knows: a transfer to one is refused.
            self.closed_accounts: set[str] = set()
            self.payment_intents: dict[str, dict] = {}
            self.events: list[dict] = []
            self.requests: list[dict] = []
            self.idempotent: dict[str, tuple[str, dict, int, dict]] = {}
            self.refund_status = "succeeded"  # what new refunds report
            # While set, every API request fails with this error (Stripe down, say).
            self.failing: StripeApiError | None = None
            # {path prefix: n}: the next n POSTs there are performed, then their answer is
            # lost (the connection closes without a response), as on a network cut.
            self.drops: dict[str, int] = {}
            # [(method, path prefix, fn(payload))]: called after a request there was
            # performed and before it is answered (a webhook "arriving" while the caller
            # waits for Stripe's answer).
            self.before_answer: list[tuple[str, str, Any]] = []

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_DELETE(self) -> None:
                fake._serve(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}{secrets.token_hex(6)}"

    # --- HTTP --------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if method == "POST":
            pairs += parse_qsl(body, keep_blank_values=True)
        params = decode_form(pairs)
        key = handler.headers.get("Idempotency-Key")
        status, payload, headers = 200, {}, {}
        try:
            auth = handler.headers.get("Authorization", "")
            if auth != f"Bearer {SECRET_KEY}":
                raise StripeApiError(401, "Invalid API Key provided", "invalid_request_error")
            with self._lock:
                self.requests.append(
                    {"method": method, "path": parts.path, "params": params, "key": key}
                )
                if method == "POST" and key and key in self.idempotent:
                    path, saved_params, status, payload = self.idempotent[key]
                    if path != parts.path or saved_params != params:
                        raise StripeApiError(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                            "idempotency_error",
                        )
                    headers["Idempotent-Replayed"] = "true"
                else:
                    if self.failing is not None:
                        raise self.failing
                    payload = self._route(method, parts.path, params)
                    if method == "POST" and key:
                        self.idempotent[key] = (parts.path, params, 200, deepcopy(payload))
            if status == 200:
                for verb, prefix, hook in list(self.before_answer):
                    if verb == method and parts.path.startswith(prefix):
                        hook(deepcopy(payload))
                if method == "POST" and self._take_drop(parts.path):
                    handler.close_connection = True
                    return  # performed, but nobody hears the answer
        except StripeApiError as error:
            status, payload = error.status, error.body
        except Exception as error:  # noqa: BLE001 - a bug in the fake: answer like Stripe
            status, payload = 500, {"error": {"type": "api_error", "message": repr(error)}}
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", f"req_{secrets.token_hex(8)}")
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def drop_answers(self, path_prefix: str, times: int = 10) -> None:
        """Perform the next ``times`` POSTs to ``path_prefix`` but lose their answers."""
        with self._lock:
            self.drops[path_prefix] = times

    def _take_drop(self, path: str) -> bool:
        with self._lock:
            for prefix, left in self.drops.items():
                if left > 0 and path.startswith(prefix):
                    self.drops[prefix] = left - 1
                    return True
        return False

    def _route(self, method: str, path: str, params: dict) -> dict:
        routes = [
            ("POST", r"/v1/checkout/sessions", self._create_session),
            ("GET", r"/v1/checkout/sessions", self._list_sessions),
            ("GET", r"/v1/checkout/sessions/(?P<sid>[^/]+)", self._get_session),
            ("POST", r"/v1/checkout/sessions/(?P<sid>[^/]+)/expire", self._expire_session),
            ("POST", r"/v1/refunds", self._create_refund),
            ("GET", r"/v1/refunds", self._list_refunds),
            ("GET", r"/v1/refunds/(?P<rid>[^/]+)", self._get_refund),
            ("POST", r"/v1/transfers", self._create_transfer),
            ("GET", r"/v1/events", self._list_events),
        ]
        for verb, pattern, view in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                return view(params, **match.groupdict())
        raise StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")

    # --- resources ---------------------------------------------------------------------

    def _create_session(self, params: dict) -> dict:
        items = params.get("line_items") or []
        if not items:
            raise StripeApiError(400, "line_items is required", param="line_items")
        currency = None
        total = 0
        for item in items:
            price = item.get("price_data") or {}
            currency = currency or price.get("currency")
            if price.get("currency") != currency:
                raise StripeApiError(400, "All line items must use the same currency.")
            amount, quantity = int(price.get("unit_amount", -1)), int(item.get("quantity", 0))
            if amount < 0 or quantity < 1:
                raise StripeApiError(400, "Invalid line item", param="line_items")
            total += amount * quantity
        for required in ("success_url", "cancel_url", "mode"):
            if not params.get(required):
                raise StripeApiError(400, f"Missing required param: {required}.", param=required)
        now = int(time.time())
        sid = self.new_id("cs")
        session = {
            "id": sid,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "currency": currency,
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "customer_email": params.get("customer_email"),
            "expires_at": int(params.get("expires_at") or now + 24 * 3600),
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": params.get("metadata") or {},
            "mode": params["mode"],
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "url": f"https://checkout.stripe.test/c/pay/{sid}",
        }
        self.sessions[sid] = session
        self.line_items[sid] = items
        return deepcopy(session)

    def _session(self, sid: str) -> dict:
        if sid not in self.sessions:
            raise StripeApiError(404, f"No such checkout.session: '{sid}'", param="session")
        return self.sessions[sid]

    def _get_session(self, params: dict, sid: str) -> dict:
        return deepcopy(self._session(sid))

    def _list_sessions(self, params: dict) -> dict:
        since = int((params.get("created") or {}).get("gte") or 0)
        rows = [s for s in self.sessions.values() if s["created"] >= since]
        rows.sort(key=lambda s: s["created"], reverse=True)
        return self._list(rows, "/v1/checkout/sessions")

    def _expire_session(self, params: dict, sid: str) -> dict:
        session = self._session(sid)
        if session["status"] != "open":
            raise StripeApiError(
                400,
                f"Only Checkout Sessions with a status in [open] can be expired; "
                f"this one is {session['status']}.",
            )
        session["status"] = "expired"
        return deepcopy(session)

    def _create_refund(self, params: dict) -> dict:
        intent_id = params.get("payment_intent")
        intent = self.payment_intents.get(intent_id or "")
        if intent is None:
            raise StripeApiError(404, f"No such payment_intent: '{intent_id}'")
        if any(
            d["payment_intent"] == intent_id
            and d["status"] not in ("won", "lost", "warning_closed")
            for d in self.disputes.values()
        ):
            raise StripeApiError(
                400, f"Charge {intent['charge']} has been disputed.", code="charge_disputed"
            )
        amount = int(params.get("amount") or intent["amount"] - intent["amount_refunded"])
        if amount <= 0 or intent["amount_refunded"] + amount > intent["amount"]:
            raise StripeApiError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge.",
                code="amount_too_large",
            )
        intent["amount_refunded"] += amount
        refund = {
            "id": self.new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "charge": intent["charge"],
            "payment_intent": intent_id,
            "created": int(time.time()),
            "metadata": params.get("metadata") or {},
            "reason": params.get("reason"),
            "status": self.refund_status,
        }
        self.refunds[refund["id"]] = refund
        return deepcopy(refund)

    def _get_refund(self, params: dict, rid: str) -> dict:
        if rid not in self.refunds:
            raise StripeApiError(404, f"No such refund: '{rid}'")
        return deepcopy(self.refunds[rid])

    def _list_refunds(self, params: dict) -> dict:
        intent = params.get("payment_intent")
        rows = [r for r in self.refunds.values() if not intent or r["payment_intent"] == intent]
        return self._list(rows, "/v1/refunds")

    def _create_transfer(self, params: dict) -> dict:
        for required in ("amount", "currency", "destination"):
            if not params.get(required):
                raise StripeApiError(400, f"Missing required param: {required}.", param=required)
        if params["destination"] in self.closed_accounts:
            raise StripeApiError(
                400,
                f"No such destination: '{params['destination']}'",
                code="resource_missing",
                param="destination",
            )
        transfer = {
            "id": self.new_id("tr"),
            "object": "transfer",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "destination": params["destination"],
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata") or {},
            "created": int(time.time()),
        }
        self.transfers[transfer["id"]] = transfer
        return deepcopy(transfer)

    def _list_events(self, params: dict) -> dict:
        since = int((params.get("created") or {}).get("gte") or 0)
        types = params.get("types") or ([params["type"]] if params.get("type") else None)
        rows = [
            e for e in self.events if e["created"] >= since and (not types or e["type"] in types)
        ]
        return self._list(list(reversed(rows)), "/v1/events")

    @staticmethod
    def _list(rows: list[dict], url: str) -> dict:
        return {"object": "list", "data": deepcopy(rows), "has_more": False, "url": url}

    # --- what happens on Stripe's side (driven by the tests) ----------------------------

    def complete_session(
        self,
        sid: str,
        payment_status: str = "paid",
        amount_total: int | None = None,
        currency: str | None = None,
    ) -> dict:
        """The shopper paid (``payment_status="unpaid"`` for a delayed method)."""
        with self._lock:
            session = self._session(sid)
            if amount_total is not None:
                session["amount_total"] = amount_total
            if currency is not None:
                session["currency"] = currency
            intent_id = session["payment_intent"] or self.new_id("pi")
            session.update(
                status="complete", payment_status=payment_status, payment_intent=intent_id
            )
            self.payment_intents[intent_id] = {
                "id": intent_id,
                "amount": session["amount_total"],
                "amount_refunded": 0,
                "currency": session["currency"],
                "charge": self.new_id("ch"),
            }
            return deepcopy(session)

    def settle_async(self, sid: str, succeeded: bool = True) -> dict:
        with self._lock:
            session = self._session(sid)
            session["payment_status"] = "paid" if succeeded else "unpaid"
            return deepcopy(session)

    def expire(self, sid: str) -> dict:
        with self._lock:
            return self._expire_session({}, sid)

    def charge_for_intent(self, intent_id: str) -> dict:
        """The Charge object of a payment, with its refunds (for ``charge.refunded``)."""
        with self._lock:
            intent = self.payment_intents[intent_id]
            refunds = [r for r in self.refunds.values() if r["payment_intent"] == intent_id]
            return {
                "id": intent["charge"],
                "object": "charge",
                "amount": intent["amount"],
                "amount_refunded": intent["amount_refunded"],
                "currency": intent["currency"],
                "payment_intent": intent_id,
                "refunded": intent["amount_refunded"] >= intent["amount"],
                "refunds": {"object": "list", "data": deepcopy(refunds), "has_more": False},
            }

    def dashboard_refund(self, intent_id: str, amount: int) -> dict:
        """A refund made by someone in Stripe's dashboard (no metadata of ours)."""
        with self._lock:
            return self._create_refund({"payment_intent": intent_id, "amount": str(amount)})

    def open_dispute(
        self,
        intent_id: str,
        amount: int | None = None,
        reason: str = "fraudulent",
        status: str = "needs_response",
    ) -> dict:
        """The cardholder's bank disputes a payment (an inquiry when ``status`` is
        ``warning_needs_response``)."""
        with self._lock:
            intent = self.payment_intents[intent_id]
            now = int(time.time())
            dispute = {
                "id": self.new_id("du"),
                "object": "dispute",
                "amount": intent["amount"] if amount is None else amount,
                "currency": intent["currency"],
                "charge": intent["charge"],
                "payment_intent": intent_id,
                "created": now,
                "evidence_details": {"due_by": now + 7 * 86400, "has_evidence": False},
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "reason": reason,
                "status": status,
            }
            self.disputes[dispute["id"]] = dispute
            return deepcopy(dispute)

    def close_dispute(self, dispute_id: str, status: str) -> dict:
        """The dispute moves on ("under_review") or is decided ("won", "lost", or
        "warning_closed" for an inquiry)."""
        with self._lock:
            dispute = self.disputes[dispute_id]
            dispute["status"] = status
            return deepcopy(dispute)

    def event(self, event_type: str, obj: dict, created: int | None = None) -> dict:
        """Record an event (listed by ``GET /v1/events``) and return its JSON-ready dict."""
        with self._lock:
            event = {
                "id": self.new_id("evt"),
                "object": "event",
                "api_version": stripe.api_version,
                "created": created or int(time.time()),
                "data": {"object": deepcopy(obj)},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
            self.events.append(event)
            return deepcopy(event)

    def requests_to(self, path_prefix: str, method: str = "POST") -> list[dict]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r["method"] == method and r["path"].startswith(path_prefix)
            ]


# --- signing webhooks --------------------------------------------------------------------


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header made with Stripe's own scheme (v1 HMAC-SHA256)."""
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(time.time()) if timestamp is None else timestamp
    )


def post_events_out_of_order(client, events: list[dict]) -> list[int]:
    """Deliver events in the reverse of the order they happened (Stripe does not promise any
    order); the answers' status codes."""
    return [post_event(client, event).status_code for event in reversed(events)]


def post_event(client, event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    payload = json.dumps(event)
    return client.post(
        "/payments/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret, timestamp)},
        content_type="application/json",
    )


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _stripe_server():
    fake = FakeStripe().start()
    yield fake
    fake.stop()


@pytest.fixture
def stripe_fake(_stripe_server):
    _stripe_server.reset()
    yield _stripe_server
    _stripe_server.reset()


STRIPE_SETTINGS = (
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
)


@pytest.fixture
def stripe_keys(app, stripe_fake):
    """The app with test Stripe keys, its SDK pointed at the local fake."""
    saved = {name: app.config.get(name) for name in STRIPE_SETTINGS}
    app.config.update(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_fake.url,
    )
    yield stripe_fake
    app.config.update(saved)
