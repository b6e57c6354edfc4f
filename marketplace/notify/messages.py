"""The short texts of SMS and WhatsApp messages, in the recipient's language, and how many
SMS segments a text costs.

Each text names only what its recipient already has (an order number, a link to the page
to act on), never a name, an address or a phone number. WhatsApp messages use the approved
template of the same key (``TWILIO_WHATSAPP_TEMPLATES``) with the variables below, in the
same order: 1 = the reference (order number or code), 2 = the link. The site's name is
written without its circumflex there: a single â would make every French SMS UCS-2 (70
characters a segment instead of 160).
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

TEXTS = {
    "code": _l(
        "%(code)s is your Souk Draa-Tafilalet code. It expires in %(minutes)d minutes. "
        "Never share it."
    ),
    "new_order": _l("Souk Draa-Tafilalet: new order %(number)s to prepare. Open it: %(url)s"),
    "order_cancelled_cooperative": _l(
        "Souk Draa-Tafilalet: order %(number)s was cancelled; do not prepare it. %(url)s"
    ),
    "order_shipped": _l("Souk Draa-Tafilalet: your order %(number)s has shipped. %(url)s"),
    "order_delivered": _l("Souk Draa-Tafilalet: your order %(number)s has been delivered. %(url)s"),
    "order_cancelled": _l("Souk Draa-Tafilalet: your order %(number)s has been cancelled. %(url)s"),
    "cooperative_approved": _l(
        "Souk Draa-Tafilalet: your cooperative %(number)s is verified; you can sell. %(url)s"
    ),
    "cooperative_rejected": _l(
        "Souk Draa-Tafilalet: the application of cooperative %(number)s was not accepted. "
        "Reasons and next steps: %(url)s"
    ),
    "cooperative_suspended": _l(
        "Souk Draa-Tafilalet: the shop of cooperative %(number)s is suspended. %(url)s"
    ),
    "cooperative_reinstated": _l(
        "Souk Draa-Tafilalet: the shop of cooperative %(number)s is open again. %(url)s"
    ),
    "payout_sent": _l(
        "Souk Draa-Tafilalet: payout %(number)s was sent to your bank account. %(url)s"
    ),
    "certificate_expiring": _l(
        "Souk Draa-Tafilalet: your certificate %(number)s expires soon. Renew it: %(url)s"
    ),
}
# Which variables a template takes, in the WhatsApp template's order ({{1}}, {{2}}).
VARIABLES = {
    "code": ("code", "minutes"),
    "new_order": ("number", "url"),
    "order_cancelled_cooperative": ("number", "url"),
    "order_shipped": ("number", "url"),
    "order_delivered": ("number", "url"),
    "order_cancelled": ("number", "url"),
    "cooperative_approved": ("number", "url"),
    "cooperative_rejected": ("number", "url"),
    "cooperative_suspended": ("number", "url"),
    "cooperative_reinstated": ("number", "url"),
    "certificate_expiring": ("number", "url"),
    "payout_sent": ("number", "url"),
}


def render(template: str, locale: str, **values) -> tuple[str, dict[str, str]]:
    """The text in ``locale`` and the WhatsApp template variables {"1": …, "2": …}."""
    with force_locale(locale):
        body = str(TEXTS[template] % values)
    variables = {str(i): str(values[name]) for i, name in enumerate(VARIABLES[template], 1)}
    return body, variables


# --- SMS length ----------------------------------------------------------------------------

# The GSM 03.38 default alphabet; the extension table's characters take two septets.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


def sms_length(text: str) -> tuple[str, int]:
    """("GSM-7", septets) or ("UCS-2", UTF-16 code units) of ``text``."""
    if is_gsm7(text):
        return "GSM-7", sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
    return "UCS-2", len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS a text is sent as: 160 GSM-7 characters in one message, 153 per part
    when split; 70 UCS-2 characters (Arabic, say) in one, 67 per part."""
    encoding, units = sms_length(text)
    single, part = (160, 153) if encoding == "GSM-7" else (70, 67)
    if units <= single:
        return 1
    return -(-units // part)
