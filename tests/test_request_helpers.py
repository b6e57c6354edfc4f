"""The request helpers (marketplace/http.py): one whole-number parser, one page parser, one
return-address rule, one header-value rule; and every route and form that uses them."""

from __future__ import annotations

import contextlib

import pytest
from flask import redirect
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from marketplace import http
from marketplace.cooperatives.forms import LenientIntegerField
from marketplace.cooperatives.validators import (
    MoroccanPhone,
    MoroccanRib,
    clean_rib,
    is_valid_rib,
    normalize_phone,
)
from tests.helpers import csrf_token, login
from tests.test_access_matrix import ROLES, ROUTES, build_cases, client_for
from tests.world import build_world

# Digits that str.isdigit() accepts but int() refuses, and scripts the site does not read.
NOT_DIGITS = ["²", "①", "⁵", "𝟙", "१", "১", "٣²", "1_000", "1e3", "+5", "-1", " ", "", "٫"]
HOSTILE_TARGETS = [
    "/fr/products/tazenakht-carpet\nenv;",
    "/fr/x\r\nSet-Cookie:a=b",
    "/fr/\n",
    "/fr/\x00",
    "/fr/\x7f",
    "/fr/\x85",
    "/fr/\u2028",
    "/fr/\u2029",
    "\\\\evil.example",
    "/\\evil.example",
    "/\tevil",
    "/\t/evil.example",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "%0d%0a",
    "evil.example",
    " /fr/products",
    "/fr/\u202eproducts",
]


# --- whole numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), (" 007 ", 7), ("١٢", 12), ("۱۲", 12), ("٢٠٢٦", 2026), ("0", 0)],
)
def test_parse_int_reads_ascii_and_arabic_indic_digits(text, expected):
    assert http.parse_int(text) == expected


@pytest.mark.parametrize("text", NOT_DIGITS)
def test_parse_int_refuses_everything_else(text):
    assert http.parse_int(text) is None


def test_parse_int_bounds_and_length():
    assert http.parse_int("5", minimum=1, maximum=5) == 5
    assert http.parse_int("6", maximum=5) is None
    assert http.parse_int("0", minimum=1) is None
    assert http.parse_int("9" * 18) == int("9" * 18)
    assert http.parse_int("9" * 19) is None  # never past a 64-bit column
    assert http.parse_int(None) is None
    assert http.parse_int(True) is None


@given(st.text())
def test_parse_int_never_raises(text):
    value = http.parse_int(text)
    assert value is None or (isinstance(value, int) and value >= 0)


@pytest.mark.parametrize(
    ("query", "lenient", "strict"),
    [
        ("", 1, 1),
        ("page=3", 3, 3),
        ("page=٣", 3, 3),
        ("page=²", 1, "400"),
        ("page=①", 1, "400"),
        ("page=-1", 1, "400"),
        ("page=0", 1, "400"),
        ("page=99999999999", 1, "400"),
    ],
)
def test_page_arg(app, query, lenient, strict):
    with app.test_request_context(f"/?{query}"):
        assert http.page_arg() == lenient
        if strict == "400":
            with pytest.raises(http.InvalidInput):
                http.page_arg(strict=True)
        else:
            assert http.page_arg(strict=True) == strict


# --- return addresses and header values ------------------------------------------------------


@pytest.mark.parametrize("target", ["/fr/products", "/fr/products?page=2&q=dattes", "/", "/ar/سلة"])
def test_safe_redirect_target_keeps_paths_of_this_site(target):
    assert http.safe_redirect_target(target) == target


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_safe_redirect_target_refuses_anything_else(target):
    assert http.safe_redirect_target(target) is None


def _assert_redirectable(app, target: str) -> None:
    """A value the rule let through can be written into a Location header, and it points to
    a path of this site."""
    assert target.startswith("/") and not target.startswith("//")
    assert "\\" not in target
    with app.test_request_context("/"):
        response = redirect(target, code=303)
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(
    st.one_of(
        st.text(),
        st.builds(lambda s: "/" + s, st.text()),
        st.builds(
            lambda a, b: f"/{a}{b}",
            st.text(max_size=8),
            st.sampled_from(["\r", "\n", "\x00", "\u2028", "\u0085", "\\", "\t", "%0d%0a"]),
        ),
        st.sampled_from(HOSTILE_TARGETS),
    )
)
def test_safe_redirect_target_returns_a_safe_path_or_none(app, target):
    result = http.safe_redirect_target(target)
    if result is not None:
        _assert_redirectable(app, result)
    with app.test_request_context("/", method="POST", data={"next": target}):
        chosen = http.next_url("/fr/")
        assert chosen == (result or "/fr/")
        _assert_redirectable(app, chosen)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("statuts.pdf", "statuts.pdf"),
        ("نظام.pdf", "نظام.pdf"),
        ('a"b\r\nSet-Cookie: x.pdf', "abSet-Cookie: x.pdf"),
        ("../../etc/passwd", "etcpasswd"),
        ("\u202efdp.exe", "fdp.exe"),
        ("\x00\x85", "document"),
    ],
)
def test_download_name(name, expected):
    assert http.download_name(name, "document") == expected


def test_wants_json(app):
    with app.test_request_context("/", headers={"Accept": "application/json"}):
        assert http.wants_json()
    with app.test_request_context("/", headers={"X-Requested-With": "fetch"}):
        assert http.wants_json()
    with app.test_request_context("/", headers={"Accept": "text/html"}):
        assert not http.wants_json()


# --- validators fed arbitrary Unicode ----------------------------------------------------------


class _Field:
    def __init__(self, data):
        self.data = data
        self.errors = []


def _validated(validator, value) -> None:
    with contextlib.suppress(ValidationError):
        validator(None, _Field(value))


@pytest.mark.parametrize("phone", ["+2126123456²8", "06123456①8", "0612345６78"])
def test_phone_with_unicode_digits_is_refused(phone):
    assert normalize_phone(phone) is None


def test_phone_in_arabic_indic_digits_is_accepted():
    assert normalize_phone("٠٦١٢٣٤٥٦٧٨") == "+212612345678"


def test_rib_with_a_superscript_is_refused_not_a_500():
    rib = "011780000012345678901296"
    assert is_valid_rib(rib)
    assert not is_valid_rib(rib[:-1] + "²")
    with pytest.raises(ValidationError):
        MoroccanRib()(None, _Field(rib[:-1] + "²"))


@given(st.text())
def test_validators_give_a_value_or_a_validation_error(text):
    phone = normalize_phone(text)
    assert phone is None or (phone.startswith("+212") and phone[1:].isascii())
    assert phone is None or phone[1:].isdigit()
    assert isinstance(is_valid_rib(text), bool)
    cleaned = clean_rib(text)
    assert isinstance(cleaned, str)
    _validated(MoroccanRib(), text)
    _validated(MoroccanPhone(), text)
    field = LenientIntegerField().bind(None, "n", _meta=_Meta())
    try:
        field.process_formdata([text])
    except ValueError:
        assert field.data is None
    else:
        assert field.data is None or (isinstance(field.data, int) and field.data >= 0)


class _Meta:
    """The bare minimum WTForms needs to bind a field outside a form."""

    def bind_field(self, form, unbound_field, options):
        return unbound_field.bind(form=form, **options)

    def render_field(self, field, render_kw):  # pragma: no cover - never rendered
        raise AssertionError


# --- every route and form ---------------------------------------------------------------------

HOSTILE_PAGES = ["page=²", "page=①", "page=١", "page=-1", "page=99999999999", "page=٣²"]


@pytest.mark.parametrize("role", ["anonymous", "member_a", "admin"])
def test_every_get_route_survives_unicode_page_numbers(app, role):
    world = build_world()
    client = client_for(app, world, role)
    index = ROLES.index(role)
    problems = []
    for case in build_cases(app, world):
        spec = ROUTES[case.endpoint]
        if spec.get is None or case.endpoint in ("static", "catalogue_root.media"):
            continue
        if (case.expect or spec.get)[index] != "200":
            continue
        base = case.url.split("?")[0]
        for query in HOSTILE_PAGES:
            response = client.get(f"{base}?{query}")
            response.close()
            if response.status_code >= 500:
                problems.append(f"GET {base}?{query} as {role}: {response.status_code}")
    assert not problems, "\n".join(problems)


def _assert_redirected_home(response, fallback_prefix: str = "/") -> None:
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    assert location.startswith(fallback_prefix) and not location.startswith("//"), location
    assert "\r" not in location and "\n" not in location


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_add_to_cart_with_a_hostile_next_goes_back_to_the_product(app, client, target):
    world = build_world()
    product = world.product_a
    token = csrf_token(client, f"/fr/products/{product.slug}")
    response = client.post(
        "/fr/cart/add",
        data={"csrf_token": token, "product_id": product.id, "quantity": "1", "next": target},
    )
    _assert_redirected_home(response)
    assert response.headers["Location"] == http.safe_redirect_target(target) or (
        response.headers["Location"].startswith("/fr/")
    )


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_cash_on_delivery_forms_with_a_hostile_next(app, target):
    world = build_world()
    extra = world.extra
    client = client_for(app, world, "member_a")
    sub_order = extra["order_a_cash"].sub_orders[0]
    token = csrf_token(client, "/fr/dashboard/orders")
    for action in ("cash-collected", "delivery-refused"):
        response = client.post(
            f"/fr/dashboard/orders/{sub_order.id}/{action}",
            data={"csrf_token": token, "next": target},
        )
        _assert_redirected_home(response, "/fr/dashboard")


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_login_with_a_hostile_next_goes_to_the_account(app, client, target):
    world = build_world()
    token = csrf_token(client, "/fr/login")
    response = client.post(
        "/fr/login",
        query_string={"next": target},
        data={
            "csrf_token": token,
            "email": world.shopper_a.email,
            "password": "correct horse battery staple",
        },
    )
    _assert_redirected_home(response, "/")
    assert "evil" not in response.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_registering_with_a_hostile_next_goes_to_the_account(client, target):
    token = csrf_token(client, "/fr/register")
    response = client.post(
        "/fr/register",
        query_string={"next": target},
        data={
            "csrf_token": token,
            "name": "Nadia",
            "email": "nadia@example.ma",
            "password": "correct horse battery staple",
            "password_confirm": "correct horse battery staple",
            "locale": "fr",
            "accept_terms": "y",
        },
    )
    _assert_redirected_home(response, "/")
    assert "evil" not in response.headers["Location"]


def test_login_keeps_a_safe_next(app, client):
    world = build_world()
    token = csrf_token(client, "/fr/login")
    response = client.post(
        "/fr/login?next=/fr/orders",
        data={
            "csrf_token": token,
            "email": world.shopper_a.email,
            "password": "correct horse battery staple",
        },
    )
    assert response.headers["Location"] == "/fr/orders"


# --- tampered ids in forms (500s before the one parser) -----------------------------------------


def test_shopper_cancel_with_a_superscript_id_is_a_400(app, client):
    world = build_world()
    extra = world.extra
    login(client, world.shopper_a)
    order = extra["order_a"]
    url = f"/fr/orders/{order.number}"
    token = csrf_token(client, url)
    response = client.post(f"{url}/cancel", data={"csrf_token": token, "sub_order_id": "²"})
    assert response.status_code == 400


def test_product_photo_action_with_a_superscript_id_is_not_a_500(app):
    from marketplace.catalogue.seller_forms import ImagesForm

    with app.test_request_context("/", method="POST"):
        form = ImagesForm(formdata=MultiDict({"action": "remove:²"}), meta={"csrf": False})
        assert form.parsed_action() == ("order", None)
        assert form.positions(MultiDict({"position-²": "1", "position-3": "-٢"})) == {3: -2}


# --- values written into response headers -----------------------------------------------------


@pytest.mark.parametrize(
    "original", ['statuts"\r\n.pdf', "statuts\u2028.pdf", "\x85\x1f", "../..\\statuts.pdf"]
)
def test_document_download_names_are_header_safe(app, original):
    world = build_world()
    world.doc_a.original_name = original
    from marketplace.extensions import db

    db.session.commit()
    client = client_for(app, world, "member_a")
    response = client.get(f"/fr/dashboard/documents/{world.doc_a.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert not any(ch in disposition for ch in "\r\n\x00\x85\u2028\\")


@pytest.mark.parametrize("incoming", ["abc\x85def", "a b", "x" * 200, "é", "<script>"])
def test_a_proxy_request_id_that_is_not_a_plain_token_is_replaced(client, incoming):
    response = client.get("/fr/", headers={"X-Request-ID": incoming})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] != incoming
    assert http.header_safe(response.headers["X-Request-ID"])


def test_the_language_cookie_only_ever_holds_a_known_language(client):
    response = client.get("/fr/")
    assert response.headers.get("Set-Cookie", "").startswith("lang=fr;")
    hostile = client.get("/x%0d%0aSet-Cookie:a=b/")
    assert hostile.status_code in (301, 302, 308, 404)
    assert "a=b" not in hostile.headers.get("Set-Cookie", "")
