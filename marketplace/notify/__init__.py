"""The `notify` domain: notices by SMS and WhatsApp beside the e-mails, verified phone
numbers, each user's channels per kind of notice, and the outbox of text messages.

Blueprint ``bp`` (under /<locale>/): the notification settings page, the unsubscribe link and
the operator's page of messages; ``root_bp`` (unprefixed): the provider's signed callbacks
(delivery status, inbound replies such as STOP).
"""

from flask import Blueprint

bp = Blueprint("notify", __name__)
root_bp = Blueprint("notify_root", __name__)

from marketplace.notify import views  # noqa: E402,F401
