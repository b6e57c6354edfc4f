"""A small local fake of Twilio's Programmable Messaging HTTP API, for tests without the
internet.

It answers what the official ``twilio`` SDK sends when it creates a message
(``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``, ``From`` or
``MessagingServiceSid``, ``Body`` or ``ContentSid`` + ``ContentVariables``,
``StatusCallback``; HTTP basic auth with the account SID and auth token) with Twilio's JSON
message resource, or with Twilio's error body (``code``, ``message``, ``more_info``,
``status``) when a test asks it to fail. Twilio's callbacks to the site (delivery status,
inbound replies) are built by ``callback`` and signed with Twilio's real scheme
(``twilio.request_validator.RequestValidator``).

Fixtures: ``twilio_fake`` (the server, emptied for each test) and ``twilio_keys`` (the app
configured with a test account and WhatsApp templates, its SDK pointed at the fake).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "f" * 32
AUTH_TOKEN = "fake_twilio_auth_token_0123456789"
SMS_FROM = "+212522000000"
WHATSAPP_FROM = "whatsapp:+212522000001"
TEMPLATES = {
    name: {locale: f"HX{name[:8]}{locale}".ljust(34, "0") for locale in ("ar", "fr", "en")}
    for name in (
        "code",
        "new_order",
        "order_cancelled_cooperative",
        "order_shipped",
        "order_delivered",
        "order_cancelled",
        "cooperative_approved",
        "cooperative_rejected",
        "cooperative_suspended",
        "cooperative_reinstated",
        "certificate_expiring",
        "payout_sent",
    )
}


class FakeTwilio:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.server: ThreadingHTTPServer | None = None
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.messages: list[dict] = []  # every message accepted, as the API returned it
            self.requests: list[dict] = []  # every request: method, path, form
            # The next n message creations fail with (HTTP status, Twilio error code, text).
            self.failures: list[tuple[int, int, str]] = []

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_GET(self) -> None:
                fake._serve(self, "GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, times: int = 1, status: int = 500, code: int = 20500, text="") -> None:
        with self._lock:
            self.failures += [(status, code, text or "Internal Server Error")] * times

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        form = dict(parse_qsl(body, keep_blank_values=True))
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        with self._lock:
            self.requests.append({"method": method, "path": parts.path, "form": form})
            if handler.headers.get("Authorization") != expected:
                status, payload = 401, _error(401, 20003, "Authenticate")
            elif (
                method == "POST"
                and parts.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
            ):
                if self.failures:
                    failure_status, code, text = self.failures.pop(0)
                    status, payload = failure_status, _error(failure_status, code, text)
                else:
                    status, payload = self._create(form)
            else:
                status, payload = 404, _error(404, 20404, "The requested resource was not found")
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _create(self, form: dict) -> tuple[int, dict]:
        to = form.get("To", "")
        sender = form.get("From") or form.get("MessagingServiceSid")
        if not to or not sender:
            return 400, _error(400, 21604, "A 'To' and a 'From' phone number are required.")
        whatsapp = to.startswith("whatsapp:")
        if whatsapp and not form.get("ContentSid"):
            # Outside a 24-hour session WhatsApp only takes approved templates.
            return 400, _error(400, 63016, "Failed to send freeform message outside window")
        if not whatsapp and not form.get("Body"):
            return 400, _error(400, 21602, "Message body is required.")
        sid = f"SM{next(self._ids):032x}"
        message = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "content_sid": form.get("ContentSid"),
            "content_variables": json.loads(form["ContentVariables"])
            if form.get("ContentVariables")
            else None,
            "status_callback": form.get("StatusCallback"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            "error_code": None,
            "error_message": None,
            "date_created": "Wed, 02 Dec 2026 12:00:00 +0000",
        }
        self.messages.append(message)
        return 201, message

    def whatsapp(self) -> list[dict]:
        return [m for m in self.messages if m["to"].startswith("whatsapp:")]

    def sms(self) -> list[dict]:
        return [m for m in self.messages if not m["to"].startswith("whatsapp:")]


def _error(status: int, code: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for a POST of ``params`` to ``url``."""
    return RequestValidator(token).compute_signature(url, params)


def callback(client, url: str, params: dict[str, str], *, token: str = AUTH_TOKEN):
    """POST a Twilio callback (status or inbound reply) to the app, signed with ``token``."""
    path = urlsplit(url).path
    return client.post(path, data=params, headers={"X-Twilio-Signature": sign(url, params, token)})


@pytest.fixture(scope="session")
def _twilio_server():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def twilio_fake(_twilio_server):
    _twilio_server.reset()
    yield _twilio_server
    _twilio_server.reset()


TWILIO_SETTINGS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_SMS_FROM",
    "TWILIO_WHATSAPP_FROM",
    "TWILIO_WHATSAPP_TEMPLATES",
    "TWILIO_API_BASE_URL",
    "NOTIFY_SMS_PROVIDER",
    "NOTIFY_WHATSAPP_PROVIDER",
)


@pytest.fixture
def twilio_keys(app, twilio_fake):
    """The app with a test Twilio account, its SDK pointed at the local fake."""
    from marketplace.notify.providers import reset_providers

    saved = {name: app.config.get(name) for name in TWILIO_SETTINGS}
    app.config.update(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_SMS_FROM=SMS_FROM,
        TWILIO_WHATSAPP_FROM=WHATSAPP_FROM,
        TWILIO_WHATSAPP_TEMPLATES=json.dumps(TEMPLATES),
        TWILIO_API_BASE_URL=twilio_fake.url,
        NOTIFY_SMS_PROVIDER=None,
        NOTIFY_WHATSAPP_PROVIDER=None,
    )
    reset_providers(app)
    yield twilio_fake
    app.config.update(saved)
    reset_providers(app)
