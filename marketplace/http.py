"""Reading values out of a request, one rule each, used by every view:

- whole numbers as people type them (ASCII or Arabic-Indic digits, nothing else: ``str.isdigit``
  also accepts "²" and "①", which ``int()`` then refuses);
- page numbers from the query string;
- return addresses (``next`` fields, query strings, ``Referer``): a path on this site or the
  page's natural destination;
- values that end up in a response header (file names of downloads);
- whether the client wants JSON;
- a service's refusal (``DomainError``) shown to the person, its changes rolled back.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlencode, urlsplit

from flask import flash, request, url_for
from flask_babel import lazy_gettext as _l

from marketplace import transaction
from marketplace.errors import DomainError, InvalidInput

# Arabic-Indic (U+0660–0669) and Extended Arabic-Indic (U+06F0–06F9, Persian and Urdu
# keyboards) digits, as an Arabic keyboard types them.
_ARABIC_INDIC = {ord(ch): str(i) for i, ch in enumerate("٠١٢٣٤٥٦٧٨٩")} | {
    ord(ch): str(i) for i, ch in enumerate("۰۱۲۳۴۵۶۷۸۹")
}
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")  # 18 digits: always fits a 64-bit column
MAX_PAGE = 10_000_000  # deep enough for any catalogue; past it, offsets only cost


def ascii_digits(text: str) -> str:
    """``text`` with Arabic-Indic digits turned into 0-9 (other characters unchanged)."""
    return text.translate(_ARABIC_INDIC)


def is_digits(text: str) -> bool:
    """True when ``text`` is one or more ASCII or Arabic-Indic digits and nothing else."""
    digits = ascii_digits(text)
    return digits.isascii() and digits.isdigit()  # "".isdigit() is False


def parse_int(
    value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """A whole number typed by a person, or None when ``value`` is not one.

    Accepts ASCII and Arabic-Indic digits with surrounding spaces; refuses signs, exponents,
    underscores, superscripts, circled digits and every other script's digits.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        number = value
    else:
        text = ascii_digits(str(value).strip())
        if not _WHOLE_NUMBER.fullmatch(text):
            return None
        number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def int_arg(name: str, *, minimum: int = 0, maximum: int | None = None) -> int | None:
    """A whole number from the query string, or None when absent or not one."""
    return parse_int(request.args.get(name), minimum=minimum, maximum=maximum)


def page_arg(name: str = "page", *, strict: bool = False) -> int:
    """The page number from the query string: 1 when absent.

    An invalid value ("²", "-1", "abc", a number past ``MAX_PAGE``) is page 1 on back-office
    lists, and a 400 with a clear message on public pages (``strict``), whose links search
    engines keep.
    """
    raw = request.args.get(name, "").strip()
    if not raw:
        return 1
    page = parse_int(raw, minimum=1, maximum=MAX_PAGE)
    if page is None:
        if strict:
            raise InvalidInput(_l("The page number must be a whole number of 1 or more."))
        return 1
    return page


# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators: never part of
# a path, and Werkzeug refuses (500) to write some of them into a header.
_UNSAFE_IN_HEADER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def header_safe(value: str) -> bool:
    """True when ``value`` can be written into a response header as it is."""
    return not _UNSAFE_IN_HEADER.search(value)


def safe_redirect_target(target: object) -> str | None:
    """``target`` when it is a path on this site, else None.

    A path starts with one "/" (not "//", a protocol-relative URL), holds no backslash
    (browsers read "/\\evil.example" as "//evil.example"), no control character or line
    separator, no whitespace (browsers drop tabs and newlines inside URLs), no scheme and no
    host.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or not header_safe(target) or any(ch.isspace() for ch in target):
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def next_url(fallback: str, *, field: str = "next") -> str:
    """The return address the request asks for (form field, then query string) when safe,
    else ``fallback``: the page's natural destination."""
    for candidate in (request.form.get(field), request.args.get(field)):
        if candidate:
            return safe_redirect_target(candidate) or fallback
    return fallback


def download_name(name: str, fallback: str) -> str:
    """A file name for ``Content-Disposition``: without characters a header cannot hold, path
    separators or quotes; ``fallback`` when nothing remains."""
    cleaned = "".join(
        ch
        for ch in name or ""
        if header_safe(ch) and ch not in '/\\"' and unicodedata.category(ch) not in ("Cf", "Cs")
    ).strip(" .")
    return cleaned[:150] or fallback


def url_with(**changes) -> str:
    """The current page's URL with some query parameters changed (None or "" removes one)."""
    args = dict(request.args.items(multi=False))
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    base = url_for(request.endpoint, **(request.view_args or {}))
    return f"{base}?{urlencode(args)}" if args else base


def wants_json() -> bool:
    """The client asked for JSON (a fetch from the site's scripts, or an API client)."""
    return (
        request.headers.get("X-Requested-With") == "fetch"
        or request.accept_mimetypes.best == "application/json"
    )


def refuse(error: DomainError, form=None, *, show: bool = True) -> None:
    """A service refused: undo what the request changed (now, and at its end whatever the
    response) and tell the person, next to the form's field the error names
    (``error.details["field"]``), or as a flashed message. ``show=False`` when the view shows
    the error its own way (a field it chooses, a page of its own)."""
    transaction.discard()
    transaction.fail()
    if not show:
        return
    field = getattr(form, error.details.get("field") or "", None) if form is not None else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")
