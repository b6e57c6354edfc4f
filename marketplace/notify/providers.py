"""Channel providers: how an SMS or WhatsApp message leaves the site.

Every provider is a class with this interface (``Provider``); the notification service and
the sending job only ever call it through ``provider_for(channel)``, so a Moroccan SMS
gateway is added by writing one class and naming it in ``NOTIFY_SMS_PROVIDER``
("package.module:ClassName"), without touching any caller:

- ``name``: a short name stored with each message it sent.
- ``send(message) -> str``: hand one message over; return the provider's id for it (used to
  match its delivery-status callbacks). Raise ``SendFailed`` when it was not accepted;
  ``permanent=True`` when trying again cannot help (an invalid number, say).
- ``check_signature(url, params, signature) -> bool``: whether a callback request (status
  or inbound reply) really comes from the provider.

``OutboxProvider`` (no settings: development, ``make run``) writes each message as a JSON
file into the outbox folder next to the e-mails; ``TwilioProvider`` uses Twilio's official
SDK (Programmable Messaging; WhatsApp through approved Content templates).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import asdict, dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Protocol

from flask import current_app

from marketplace.notify.models import Channel
from marketplace.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingText:
    channel: str  # Channel.SMS or Channel.WHATSAPP
    to: str  # E.164
    body: str  # the whole text (SMS; WhatsApp without a template, outbox)
    template: str  # messages.TEXTS key, e.g. "new_order"
    locale: str
    variables: dict[str, str] = field(default_factory=dict)  # WhatsApp template variables
    status_callback: str | None = None


class SendFailed(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Provider(Protocol):
    name: str

    def send(self, message: OutgoingText) -> str: ...

    def check_signature(self, url: str, params: dict[str, str], signature: str) -> bool: ...


class OutboxProvider:
    """Writes messages to ``NOTIFY_OUTBOX_DIR`` (by default the e-mail outbox) as JSON."""

    name = "outbox"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, message: OutgoingText) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        ident = f"OB{secrets.token_hex(16)}"
        path = self.folder / f"{utcnow():%Y%m%dT%H%M%S%f}-{ident[:10]}.{message.channel}.json"
        path.write_text(
            json.dumps({"id": ident, **asdict(message)}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        log.info("%s to %s written to %s", message.channel, message.to, path)
        return ident

    def check_signature(self, url: str, params: dict[str, str], signature: str) -> bool:
        return False  # nothing calls back an outbox


def read_outbox(folder: str | Path, channel: str | None = None) -> list[dict]:
    """The messages of an outbox folder, oldest first (for tests and operators)."""
    pattern = f"*.{channel}.json" if channel else "*.json"
    return [json.loads(p.read_text("utf-8")) for p in sorted(Path(folder).glob(pattern))]


class TwilioProvider:
    """Twilio Programmable Messaging through the official SDK. SMS go from
    ``TWILIO_MESSAGING_SERVICE_SID`` or ``TWILIO_SMS_FROM``; WhatsApp messages from
    ``TWILIO_WHATSAPP_FROM`` with the approved template (Content SID) configured for the
    message and language in ``TWILIO_WHATSAPP_TEMPLATES``, and its variables."""

    name = "twilio"

    def __init__(self, config) -> None:
        from twilio.request_validator import RequestValidator

        self.config = config
        self.account_sid = config["TWILIO_ACCOUNT_SID"]
        self.auth_token = config["TWILIO_AUTH_TOKEN"]
        self.validator = RequestValidator(self.auth_token)
        self._client = None

    def client(self):
        if self._client is None:
            from twilio.rest import Client

            self._client = Client(
                self.account_sid,
                self.auth_token,
                http_client=_http_client(self.config.get("TWILIO_API_BASE_URL")),
            )
        return self._client

    def templates(self) -> dict:
        raw = self.config.get("TWILIO_WHATSAPP_TEMPLATES") or "{}"
        return json.loads(raw) if isinstance(raw, str) else dict(raw)

    def send(self, message: OutgoingText) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        params: dict = {"to": message.to}
        if message.status_callback:
            params["status_callback"] = message.status_callback
        if message.channel == Channel.WHATSAPP:
            sender = self.config.get("TWILIO_WHATSAPP_FROM")
            content_sid = (self.templates().get(message.template) or {}).get(message.locale)
            if not sender or not content_sid:
                raise SendFailed(
                    f"no approved WhatsApp template for {message.template}/{message.locale}",
                    permanent=True,
                )
            params.update(
                to=f"whatsapp:{message.to}",
                from_=sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}",
                content_sid=content_sid,
                content_variables=json.dumps(message.variables, ensure_ascii=False),
            )
        else:
            service = self.config.get("TWILIO_MESSAGING_SERVICE_SID")
            if service:
                params["messaging_service_sid"] = service
            else:
                params["from_"] = self.config.get("TWILIO_SMS_FROM")
            params["body"] = message.body
        try:
            created = self.client().messages.create(**params)
        except TwilioRestException as error:
            # 4xx: the request itself is wrong (invalid number, unapproved template…),
            # except 429 (too many requests): trying again will not help.
            permanent = 400 <= (error.status or 500) < 500 and error.status != 429
            raise SendFailed(
                f"Twilio {error.status} {error.code}: {error.msg}", permanent=permanent
            ) from error
        except TwilioException as error:
            raise SendFailed(f"Twilio: {error}") from error
        return created.sid

    def check_signature(self, url: str, params: dict[str, str], signature: str) -> bool:
        return bool(signature) and self.validator.validate(url, params, signature)


def _http_client(base_url: str | None):
    """The SDK's HTTP client; with a base URL (tests: the local fake), every request to
    api.twilio.com goes there instead."""
    from twilio.http.http_client import TwilioHttpClient

    if not base_url:
        return TwilioHttpClient(timeout=15)

    class RedirectedClient(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            url = url.replace("https://api.twilio.com", base_url.rstrip("/"), 1)
            return super().request(method, url, *args, **kwargs)

    return RedirectedClient(timeout=15)


BUILTIN = {"outbox", "twilio"}


def provider_name(channel: str, config=None) -> str:
    config = config or current_app.config
    key = "NOTIFY_WHATSAPP_PROVIDER" if channel == Channel.WHATSAPP else "NOTIFY_SMS_PROVIDER"
    return config.get(key) or ("twilio" if config.get("TWILIO_ACCOUNT_SID") else "outbox")


def outbox_folder(config=None) -> str:
    config = config or current_app.config
    folder = config.get("NOTIFY_OUTBOX_DIR") or config.get("MAIL_OUTBOX_DIR")
    if not folder:
        raise RuntimeError("no SMS/WhatsApp provider and no outbox folder configured")
    return folder


def provider_for(channel: str) -> Provider:
    """The provider configured for ``channel`` (one instance per app and name)."""
    app = current_app._get_current_object()
    name = provider_name(channel, app.config)
    cache = app.extensions.setdefault("notify_providers", {})
    if name not in cache:
        if name == "outbox":
            cache[name] = OutboxProvider(outbox_folder(app.config))
        elif name == "twilio":
            cache[name] = TwilioProvider(app.config)
        else:
            module, _, attribute = name.partition(":")
            cache[name] = getattr(import_module(module), attribute)(app.config)
    return cache[name]


def reset_providers(app) -> None:
    """Forget the provider instances (after a settings change: tests)."""
    app.extensions.pop("notify_providers", None)
