"""One transaction per request (marketplace/transaction.py): views never commit or roll back
themselves, a GET request writes nothing (except a link whose purpose is a write), logging in
commits once, and a request that fails keeps nothing of what it changed."""

from __future__ import annotations

import ast
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select, text

from marketplace.catalogue.models import ProductStatus
from marketplace.extensions import db
from marketplace.orders.models import Cart, CartItem, Order
from marketplace.payments.models import Payment
from marketplace.transaction import SECOND_TRANSACTION
from tests.factories import ProductFactory, UserFactory, set_variant
from tests.helpers import csrf_token, login, post_form, release_test_transaction
from tests.test_access_matrix import ROLES, ROUTES, Report, build_cases, client_for, fetch
from tests.world import build_world

PACKAGE = Path(__file__).resolve().parent.parent / "marketplace"
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)

# GET routes whose purpose is a write from a link (e-mail confirmation…), by endpoint, with
# the reason. Every other GET request must leave the database as it found it.
WRITING_GETS: dict[str, str] = {
    "auth.verify_email": "the link of the confirmation e-mail confirms the address",
}


@contextmanager
def recorded_writes():
    """The INSERT/UPDATE/DELETE statements sent to the database inside the block."""
    writes: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            writes.append(" ".join(statement.split())[:160])

    release_test_transaction()  # the test's own pending changes are not the request's
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@contextmanager
def counted_commits():
    commits: list[int] = []

    def record(conn):
        commits.append(1)

    release_test_transaction()
    event.listen(db.engine, "commit", record)
    try:
        yield commits
    finally:
        event.remove(db.engine, "commit", record)


def test_the_write_detector_sees_writes(app):
    with recorded_writes() as writes:
        UserFactory()
        db.session.flush()
    assert writes and writes[0].upper().startswith("INSERT")
    db.session.rollback()


@pytest.mark.parametrize("role", ROLES)
def test_no_get_request_writes_to_the_database(app, role):
    """Every GET of the access-matrix walk, as every kind of visitor."""
    world = build_world()
    db.session.commit()
    client = client_for(app, world, role)
    report = Report()
    for case in build_cases(app, world):
        if ROUTES[case.endpoint].get is None or case.endpoint in WRITING_GETS:
            continue
        with recorded_writes() as writes:
            response = fetch(client, "GET", case.url, report)
        if writes:
            status = response.status_code if response is not None else "raised"
            report.add(f"GET {case.url} as {role} ({status}) wrote: {writes[:3]}")
    assert not report.problems, "\n".join(report.problems)


def test_writing_gets_are_real_routes(app):
    assert set(WRITING_GETS) <= set(app.view_functions)


def _add_to_cart(client, slug: str, product_id: int, quantity: int):
    token = csrf_token(client, f"/en/products/{slug}")
    return client.post(
        "/en/cart/add",
        data={"csrf_token": token, "product_id": product_id, "quantity": quantity},
    )


def test_an_anonymous_cart_joins_the_account_at_login_in_one_commit(app, client):
    product = ProductFactory(stock=5)
    shopper = UserFactory(email="amina@example.ma")
    slug, pid, email = product.slug, product.id, shopper.email
    added = _add_to_cart(client, slug, pid, 2)
    assert added.status_code == 303
    token = csrf_token(client, "/en/login")
    with counted_commits() as commits:
        response = client.post(
            "/en/login",
            data={
                "csrf_token": token,
                "email": email,
                "password": "correct horse battery staple",
            },
        )
    assert response.status_code in (302, 303)
    assert len(commits) == 1
    quantity = db.session.scalar(
        select(CartItem.quantity).join(Cart).where(Cart.user_id == shopper.id)
    )
    assert quantity == 2
    with recorded_writes() as writes:
        page = client.get("/en/cart")
    assert page.status_code == 200 and slug in page.get_data(as_text=True)
    assert writes == []


def test_a_failed_login_counts_and_a_refused_form_keeps_nothing(app, client):
    from marketplace.auth.models import LoginThrottle

    UserFactory(email="youssef@example.ma")
    release_test_transaction()
    wrong = post_form(
        client, "/en/login", {"email": "youssef@example.ma", "password": "not the password"}
    )
    assert wrong.status_code == 401
    # The failure is kept although the answer is an error: it counts towards the limit.
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) >= 1


def _cart_rows(user_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(CartItem.product_id, CartItem.quantity).join(Cart).where(Cart.user_id == user_id)
    ).all()
    return dict(rows)


GONE = "Honey is no longer available and was removed from your cart."
SHIPPING = {
    "email": "amina@example.ma",
    "contact_name": "Amina Ait Lahcen",
    "phone": "06 12 34 56 78",
    "address_line1": "Rue 5, Hay Salam",
    "city": "Errachidia",
    "region": "Drâa-Tafilalet",
    "postal_code": "52000",
    "country": "MA",
    "payment_method": "cod",
}


def test_a_withdrawn_product_is_told_once_on_the_cart_page_and_dropped_by_the_next_change(
    app, client
):
    """The cart page of a shopper whose product was withdrawn writes nothing: the notice is
    given once (remembered in the session), and the next POST that changes the cart drops
    the line from the stored cart."""
    kept = ProductFactory(stock=5, names={"en": "Amlou"})
    gone = ProductFactory(stock=5, names={"en": "Honey"})
    shopper = UserFactory()
    login(client, shopper)
    _add_to_cart(client, kept.slug, kept.id, 1)
    _add_to_cart(client, gone.slug, gone.id, 2)
    kept_id, gone_id, user_id = kept.id, gone.id, shopper.id
    gone.status = ProductStatus.HIDDEN.value
    db.session.commit()

    with recorded_writes() as writes:
        first = client.get("/en/cart").get_data(as_text=True)
        again = client.get("/en/cart").get_data(as_text=True)
    assert writes == []
    assert GONE in first and "Amlou" in first
    assert GONE not in again and "Honey" not in again  # told once, as when the line was deleted
    assert re.search(r"data-cart-count[^>]*>1</span>", again)  # the badge counts Amlou only
    assert _cart_rows(user_id) == {kept_id: 1, gone_id: 2}  # the GETs stored nothing

    token = csrf_token(client, "/en/cart")
    response = client.post(
        "/en/cart/update",
        data={"csrf_token": token, "product_id": kept_id, "quantity": 3, "action": "update"},
    )
    assert response.status_code == 303
    assert _cart_rows(user_id) == {kept_id: 3}  # the change stored what the shopper was told


def test_the_review_page_of_a_cart_with_a_withdrawn_product_writes_nothing(app, client):
    """Checkout review (GET) after a product was withdrawn and a price changed: the notices
    are shown once, nothing is written; confirming places the order for what is left."""
    kept = ProductFactory(price_cents=10000, stock=5, names={"en": "Amlou"})
    gone = ProductFactory(stock=5, names={"en": "Honey"})
    shopper = UserFactory()
    login(client, shopper)
    _add_to_cart(client, kept.slug, kept.id, 1)
    _add_to_cart(client, gone.slug, gone.id, 1)
    kept_id, gone_id, user_id = kept.id, gone.id, shopper.id
    response = post_form(client, "/en/checkout", SHIPPING)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    set_variant(kept, price_cents=12000)
    gone.status = ProductStatus.HIDDEN.value
    db.session.commit()

    with recorded_writes() as writes:
        first = client.get("/en/checkout/review").get_data(as_text=True)
        again = client.get("/en/checkout/review").get_data(as_text=True)
    assert writes == []
    assert GONE in first
    assert "The price of Amlou changed from MAD\xa0100.00 to MAD\xa0120.00." in first
    assert GONE not in again and "The price of Amlou changed" not in again
    assert _cart_rows(user_id) == {kept_id: 1, gone_id: 1}

    fields = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', again).group(1)
        for name in ("csrf_token", "token", "fingerprint")
    }
    placed = client.post("/en/checkout/review", data=fields)
    assert placed.status_code == 303  # what the shopper saw on the page is what is ordered
    order = db.session.scalar(select(Order).where(Order.user_id == user_id))
    assert order.items_cents == 12000
    assert _cart_rows(user_id) == {}


def test_pages_of_an_order_without_payment_row_write_nothing(app):
    """An order placed before payments existed: its pages describe the payment to come,
    and only the service that starts a payment creates the row."""
    world = build_world()
    order = world.extra["order_a_card_unpaid"]
    number, order_id = order.number, order.id
    db.session.execute(delete(Payment).where(Payment.order_id == order_id))
    db.session.commit()
    shopper = client_for(app, world, "shopper_a")
    admin = client_for(app, world, "admin")
    urls = [
        (shopper, f"/en/orders/{number}"),
        (shopper, f"/en/orders/{number}/pay"),
        (shopper, f"/en/orders/{number}/payment-status"),
        (shopper, f"/en/orders/{number}/payment-cancelled"),
        (shopper, f"/en/orders/{number}/paid"),
        (admin, f"/en/admin/payments/orders/{number}"),
        (admin, "/en/admin/payments"),
    ]
    for client, url in urls:
        with recorded_writes() as writes:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert writes == [], (url, writes)
    count = select(func.count()).select_from(Payment).where(Payment.order_id == order_id)
    assert db.session.scalar(count) == 0


# --- no view commits or rolls back ----------------------------------------------------------

ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def _registers_routes(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else None
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in ROUTE_DECORATORS
                    and isinstance(func.value, ast.Name)  # bp.get(...), root_bp.route(...)
                ):
                    return True
    return False


def transaction_calls(source: str) -> list[tuple[int, str]]:
    """The commit()/rollback() calls of a module that registers routes, except on lines
    marked as a deliberate second transaction."""
    tree = ast.parse(source)
    if not _registers_routes(tree):
        return []
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")
            and SECOND_TRANSACTION not in lines[node.lineno - 1]
        ):
            found.append((node.lineno, lines[node.lineno - 1].strip()))
    return found


def view_modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if _registers_routes(ast.parse(path.read_text(encoding="utf-8")))
    ]


def test_the_view_check_finds_commits_and_accepts_the_marker():
    view = 'from x import bp, db\n\n@bp.post("/a")\ndef a():\n    db.session.{}\n'
    assert transaction_calls(view.format("commit()")) == [(5, "db.session.commit()")]
    assert transaction_calls(view.format("rollback()"))
    marked = view.format(f"commit()  {SECOND_TRANSACTION} the intent before the provider")
    assert transaction_calls(marked) == []
    assert transaction_calls("from x import db\n\ndef job():\n    db.session.commit()\n") == []


def test_no_view_module_commits_or_rolls_back():
    modules = view_modules()
    names = {p.relative_to(PACKAGE).as_posix() for p in modules}
    # Every kind of view module is found (public, seller, admin, API).
    assert {
        "auth/views.py",
        "auth/seller_views.py",
        "orders/views.py",
        "payments/admin_views.py",
        "payments/seller_views.py",
        "cooperatives/seller_views.py",
        "fairs/seller_views.py",
        "api/views.py",
        "jobs/admin_views.py",
    } <= names
    problems = [
        f"{path.relative_to(PACKAGE)}:{line}: {text}"
        for path in modules
        for line, text in transaction_calls(path.read_text(encoding="utf-8"))
    ]
    assert not problems, (
        "Views leave the transaction to marketplace/transaction.py (a DomainError goes "
        f"through marketplace.http.refuse); mark a deliberate second transaction with "
        f"{SECOND_TRANSACTION!r} and why:\n" + "\n".join(problems)
    )


def test_what_waits_for_the_commit_does_not_run_when_a_savepoint_is_released(app):
    """SQLAlchemy's after_commit also fires when a savepoint is released: a file removed in
    the transaction is deleted only when the outermost transaction commits, never before
    (the transaction may still roll back and keep referring to it)."""
    from marketplace import storage

    deleted: list[str] = []
    storage.delete_after_commit(deleted.append, "kept.webp")
    with db.session.begin_nested():
        db.session.execute(select(1))
    assert deleted == []
    db.session.rollback()
    assert deleted == []  # rolled back: the row still refers to the file

    storage.delete_after_commit(deleted.append, "removed.webp")
    with db.session.begin_nested():
        db.session.execute(select(1))
    assert deleted == []
    db.session.commit()
    assert deleted == ["removed.webp"]


def test_a_page_that_only_reads_ends_without_a_commit(app, client):
    """A read-only request has nothing to commit: its transaction ends when the session is
    closed, without the commit's round trip and the expiry of every loaded object."""
    product = ProductFactory()
    slug = product.slug
    with counted_commits() as commits:
        page = client.get(f"/en/products/{slug}")
    assert page.status_code == 200 and slug in page.get_data(as_text=True)
    assert commits == []


def test_a_get_whose_purpose_is_a_write_still_commits_it(app, client):
    from marketplace.auth import tokens
    from marketplace.auth.models import User

    user = UserFactory(email_verified_at=None)
    token = tokens.make_token(tokens.EMAIL_VERIFICATION, {"uid": user.id, "email": user.email})
    user_id = user.id
    with counted_commits() as commits:
        response = client.get(f"/en/verify/{token}")
    assert response.status_code in (302, 303)
    assert len(commits) == 1
    db.session.expire_all()
    assert db.session.get(User, user_id).email_verified_at is not None


def test_what_waits_for_the_commit_is_committed_without_a_write(app):
    """Work a listener keeps for the commit (mail handed over after it, files to delete)
    is a reason to commit even when no statement wrote."""
    from marketplace import storage
    from marketplace.transaction import nothing_to_commit

    with app.test_request_context("/en/"):
        db.session.execute(select(1))
        assert nothing_to_commit()
        storage.delete_after_commit(lambda name: None, "old.webp")
        assert not nothing_to_commit()
        db.session.rollback()
        assert nothing_to_commit()
        db.session.execute(text("UPDATE users SET locale = locale WHERE id = -1"))
        assert not nothing_to_commit()  # a write the ORM did not flush is still a write
        db.session.rollback()
