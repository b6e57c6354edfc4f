"""Property tests of the ledger: for random orders (card or cash, delivered or not, partly
refunded, paid out at a random moment), every delivered sub-order's commission + net equals
its gross, and a cooperative's balance is its delivered net minus payouts and refunds; and for
random sequences of orders, payments, deliveries, cash collections, refunds (answered at once
or later), cancellations, disputes (won or lost), days passing and payouts, the books balance
after every step (``flask payments check-ledger``) and payouts pay exactly what can be paid."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.money import percent_of
from marketplace.payments import disputes, ledger, payouts, refunds, services
from marketplace.payments.models import LedgerEntry, Refund
from tests.factories import AdminFactory, CategoryFactory, CooperativeFactory, ProductFactory
from tests.payments_support import (
    deliver,
    english,
    place,
)

order_specs = st.lists(
    st.fixed_dictionaries(
        {
            "price": st.integers(min_value=1, max_value=90_000),
            "quantity": st.integers(min_value=1, max_value=4),
            "bp": st.integers(min_value=0, max_value=10_000),
            "card": st.booleans(),
            "delivered": st.booleans(),
            # share of what was paid to refund (None: no refund)
            "refund": st.none() | st.fractions(min_value=0, max_value=1),
        }
    ),
    min_size=1,
    max_size=4,
)


def _share(commission: int, items: int, refunded: int) -> int:
    """The commission on ``refunded`` centimes of items (shipping carries none)."""
    if items <= 0:
        return 0
    value = (Decimal(commission) * min(refunded, items) / items).quantize(
        Decimal("1"), ROUND_HALF_UP
    )
    return min(commission, int(value))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=order_specs, shipping=st.integers(0, 5000), payout_at=st.integers(0, 4))
def test_commission_plus_net_is_gross_and_the_balance_adds_up(
    app, stripe_keys, specs, shipping, payout_at
):
    admin = AdminFactory()
    coop = CooperativeFactory(shipping_fee_cents=shipping, accepts_cash_on_delivery=True)
    expected = 0
    paid_out = 0

    def pay_out():
        nonlocal paid_out
        try:
            batch = payouts.create_batch(admin)
        except Exception:  # noqa: BLE001 - nobody has a positive balance
            db.session.rollback()
            return
        payouts.mark_paid(batch, "VIR-TEST", admin)
        db.session.commit()
        paid_out += sum(p.amount_cents for p in batch.payouts if p.cooperative_id == coop.id)

    for index, spec in enumerate(specs):
        if index == payout_at:
            pay_out()
        product = ProductFactory(
            cooperative=coop,
            price_cents=spec["price"],
            stock=10,
            category=CategoryFactory(commission_bp=spec["bp"]),
        )
        order = place([(product, spec["quantity"])], method="card" if spec["card"] else "cod")
        sub = order.sub_orders[0]
        gross = sub.total_cents
        commission = percent_of(spec["price"] * spec["quantity"], spec["bp"])
        assert sub.commission_cents == commission
        if spec["card"]:
            with app.test_request_context("/fr/"):
                services.start_card_checkout(
                    order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
                )
            db.session.commit()
            payment = services.payment_for(order)
            services.fulfil_checkout_session(
                stripe_keys.complete_session(payment.stripe_session_id)
            )
            db.session.commit()
        if spec["delivered"]:
            deliver(sub, actor=admin)
            if not spec["card"]:
                services.mark_cash_collected(sub, admin)
                db.session.commit()
            entries = db.session.scalars(
                select(LedgerEntry).where(LedgerEntry.sub_order_id == sub.id)
            ).all()
            posted = {e.kind: e.amount_cents for e in entries}
            if spec["card"]:
                assert posted == {"gross": gross, "commission": -commission}
                net = posted["gross"] + posted["commission"]
                assert commission + net == gross
                expected += net
            else:
                assert posted == {"cod_commission_debit": -commission}
                expected -= commission
        paid = gross if (spec["card"] or spec["delivered"]) else 0
        if spec["refund"] is not None and paid:
            amount = max(1, int(paid * spec["refund"]))
            refunds.create_refund(sub, amount, "property test", admin)
            db.session.commit()
            if spec["delivered"]:
                returned = _share(commission, spec["price"] * spec["quantity"], amount)
                expected += (-amount + returned) if spec["card"] else returned
    if payout_at >= len(specs):
        pay_out()

    balance = ledger.balance_cents(coop.id)
    assert balance == expected - paid_out
    total = db.session.scalar(
        select(func.sum(LedgerEntry.amount_cents)).where(
            LedgerEntry.cooperative_id == coop.id, LedgerEntry.account == "payable"
        )
    )
    assert (total or 0) == balance
    db.session.commit()


# --- random sequences of money events: the books balance after every step -----------------

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("order"),
            st.booleans(),  # card
            st.integers(min_value=1, max_value=500_000),  # price
            st.integers(min_value=1, max_value=3),  # quantity
            st.integers(min_value=0, max_value=3000),  # commission (basis points)
        ),
        st.tuples(st.just("deliver"), st.integers(min_value=0, max_value=7)),
        st.tuples(st.just("collect"), st.integers(min_value=0, max_value=7)),
        st.tuples(
            st.just("refund"),
            st.integers(min_value=0, max_value=7),
            st.fractions(min_value=0, max_value=1),
            st.booleans(),  # Stripe answers "pending" first
        ),
        st.tuples(st.just("settle")),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=7)),
        st.tuples(st.just("payout")),
        st.tuples(
            st.just("dispute"),
            st.integers(min_value=0, max_value=7),
            st.fractions(min_value=0, max_value=1),  # share of the payment disputed
            st.booleans(),  # an inquiry (no money taken) rather than a chargeback
        ),
        st.tuples(st.just("decide"), st.booleans()),  # every open dispute won (or lost)
        st.tuples(st.just("days"), st.integers(min_value=1, max_value=10)),  # time passes
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_the_books_balance_after_every_money_event(app, stripe_keys, monkeypatch, sequence):
    """Also with disputes (opened, won, lost) and the production payout delay (7 days, the
    clock moving by random days): a payout never pays more than the cooperative can be paid,
    and held sales never hold a negative amount."""
    from marketplace import timeutil
    from marketplace.errors import DomainError
    from marketplace.orders import checkout as orders_checkout
    from marketplace.orders import status as orders_status
    from marketplace.orders.status import transition

    now = [timeutil.utcnow()]
    monkeypatch.setitem(app.config, "PAYOUT_DELAY_DAYS", 7)
    monkeypatch.setattr(timeutil, "utcnow", lambda: now[0])
    monkeypatch.setattr(orders_checkout, "utcnow", lambda: now[0])
    monkeypatch.setattr(orders_status, "utcnow", lambda: now[0])
    admin = AdminFactory()
    coop = CooperativeFactory(shipping_fee_cents=1500, accepts_cash_on_delivery=True)
    subs = []

    def pick(index):
        return subs[index % len(subs)] if subs else None

    opening = [("order", True, 12_000, 2, 1000), ("order", False, 8_000, 1, 1500)]
    for step in opening + sequence:
        name = step[0]
        try:
            if name == "order":
                _, card, price, quantity, bp = step
                product = ProductFactory(
                    cooperative=coop,
                    price_cents=price,
                    stock=10,
                    category=CategoryFactory(commission_bp=bp),
                )
                if not card and price * quantity + 1500 > app.config["COD_MAX_TOTAL_CENTS"]:
                    card = True
                order = place([(product, quantity)], method="card" if card else "cod")
                if card:
                    with app.test_request_context("/fr/"):
                        services.start_card_checkout(
                            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
                        )
                    db.session.commit()
                    payment = services.payment_for(order)
                    services.fulfil_checkout_session(
                        stripe_keys.complete_session(payment.stripe_session_id)
                    )
                    db.session.commit()
                subs.append(order.sub_orders[0])
            elif name == "deliver" and (sub := pick(step[1])) is not None:
                if sub.status in ("confirmed", "shipped"):
                    deliver(sub, actor=admin)
            elif name == "collect" and (sub := pick(step[1])) is not None:
                services.mark_cash_collected(sub, admin)
                db.session.commit()
            elif name == "refund" and (sub := pick(step[1])) is not None:
                left = refunds.refundable_cents(sub)
                amount = max(1, int(left * step[2]))
                stripe_keys.refund_status = "pending" if step[3] else "succeeded"
                with app.test_request_context("/fr/"):
                    refunds.create_refund(sub, amount, "property test", admin)
                db.session.commit()
                stripe_keys.refund_status = "succeeded"
            elif name == "settle":
                for refund in stripe_keys.refunds.values():
                    refund["status"] = "succeeded"
                for refund_id in refunds.pending_card_refunds():
                    refunds.settle_pending(db.session.get(Refund, refund_id))
                    db.session.commit()
            elif name == "cancel" and (sub := pick(step[1])) is not None:
                transition(sub, "cancelled", admin, reason="property test")
                db.session.commit()
            elif name == "payout":
                available = ledger.available_cents(coop.id)
                batch = payouts.create_batch(admin)  # (earlier examples' cooperatives too)
                paid = [p.amount_cents for p in batch.payouts if p.cooperative_id == coop.id]
                assert paid == ([available] if available > 0 else []), (paid, available)
                payouts.mark_paid(batch, "VIR-PROPERTY", admin)
                db.session.commit()
                assert ledger.available_cents(coop.id) == min(available, 0)
            elif name == "dispute" and (sub := pick(step[1])) is not None:
                payment = services.payment_for(sub.order)
                if payment.is_card and payment.stripe_payment_intent_id:
                    dispute = stripe_keys.open_dispute(
                        payment.stripe_payment_intent_id,
                        amount=max(1, int(payment.received_cents * step[2])),
                        status="warning_needs_response" if step[3] else "needs_response",
                    )
                    disputes.apply_stripe_dispute(dispute)
                    db.session.commit()
            elif name == "decide":
                for dispute in list(stripe_keys.disputes.values()):
                    if dispute["status"].startswith("warning"):
                        outcome = "warning_closed"
                    else:
                        outcome = "won" if step[1] else "lost"
                    disputes.apply_stripe_dispute(stripe_keys.close_dispute(dispute["id"], outcome))
                    db.session.commit()
            elif name == "days":
                now[0] += timedelta(days=step[1])
        except DomainError:
            db.session.rollback()  # a refusal (nothing to refund, illegal move...) changes nothing
        db.session.rollback()
        assert ledger.check() == [], (step, ledger.account_balances())
        held = ledger.held_sales([coop.id]).get(coop.id, [])
        assert all(h.amount_cents > 0 for h in held), step
        assert ledger.available_cents(coop.id) == ledger.balance_cents(coop.id) - sum(
            h.amount_cents for h in held
        )
        db.session.commit()
    assert payouts.open_batch() is None
    db.session.commit()


def test_check_ledger_passes_on_right_books_and_fails_on_tampered_ones(app, stripe_keys):
    from sqlalchemy import insert

    from marketplace.payments.models import LedgerTransaction

    admin = AdminFactory()
    coop = CooperativeFactory(shipping_fee_cents=0)
    product = ProductFactory(cooperative=coop, price_cents=10000, stock=5)
    order = place([(product, 1)], method="card")
    with app.test_request_context("/fr/"):
        services.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = services.payment_for(order)
    services.fulfil_checkout_session(stripe_keys.complete_session(payment.stripe_session_id))
    db.session.commit()
    deliver(order.sub_orders[0], actor=admin)
    runner = app.test_cli_runner()
    fine = runner.invoke(args=["payments", "check-ledger"])
    assert fine.exit_code == 0, fine.output
    assert "the ledger balances" in fine.output
    assert "card_payments -10000" in fine.output

    sale = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.kind == "card_sale"))
    db.session.execute(
        insert(LedgerEntry).values(
            transaction_id=sale.id,
            account="payable",
            cooperative_id=coop.id,
            kind="gross",
            amount_cents=100,
            description="tampered",
        )
    )
    db.session.commit()
    broken = runner.invoke(args=["payments", "check-ledger"])
    assert broken.exit_code == 1
    assert f"transaction {sale.id} does not balance: 100" in broken.output
    assert f"cooperative {coop.id}: balance" in broken.output


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=300_000),  # price
            st.integers(min_value=1, max_value=5),  # quantity
            st.integers(min_value=0, max_value=10_000),  # commission (basis points)
        ),
        min_size=1,
        max_size=4,
    ),
    cuts=st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=4),
)
def test_commission_rounding_lines_add_up_and_refunds_return_exactly_it(
    app, stripe_keys, lines, cuts
):
    """The commission of a sub-order is the sum of its lines' commissions (each rounded on
    its own); partial refunds return, together, the commission of their sum, and refunding
    every item returns the whole commission, never a centime more."""
    coop = CooperativeFactory(shipping_fee_cents=2500)
    products = [
        (
            ProductFactory(
                cooperative=coop,
                price_cents=price,
                stock=10,
                category=CategoryFactory(commission_bp=bp),
            ),
            quantity,
        )
        for price, quantity, bp in lines
    ]
    order = place(products, method="card")
    sub = order.sub_orders[0]
    assert sub.commission_cents == sum(
        percent_of(line.line_total_cents, line.commission_bp) for line in sub.lines
    )
    refunded, returned = 0, 0
    for cut in [*cuts, 1]:  # the last refund takes every item left
        amount = sub.items_cents - refunded if cut == 1 else int((sub.items_cents - refunded) * cut)
        before = ledger.refund_entry_amount(sub, refunded, amount) + amount  # card: -a + c'
        returned += before
        refunded += amount
        assert returned == ledger.commission_share(sub, refunded) <= sub.commission_cents
    assert returned == sub.commission_cents
    shipping = ledger.refund_entry_amount(sub, refunded, 2500, shipping_only=True)
    assert shipping == -2500  # shipping carries no commission: none is returned
    db.session.rollback()


def test_a_shipping_only_refund_is_at_most_the_shipping(app, stripe_keys):
    from marketplace.errors import InvalidInput

    admin = AdminFactory()
    coop = CooperativeFactory(shipping_fee_cents=3000)
    order = place([(ProductFactory(cooperative=coop, price_cents=10000), 1)], method="cod")
    sub = order.sub_orders[0]
    deliver(sub, actor=admin)
    services.mark_cash_collected(sub, admin)
    db.session.commit()
    with app.test_request_context("/en/"), pytest.raises(InvalidInput) as refused:
        refunds.create_refund(sub, 3001, "shipping", admin, shipping_only=True)
    assert "of shipping costs" in english(refused.value.message)
    db.session.rollback()
    before = ledger.balance_cents(coop.id)
    refunds.create_refund(sub, 3000, "shipping", admin, shipping_only=True)
    db.session.commit()
    assert ledger.balance_cents(coop.id) == before  # no commission to return on shipping
    assert ledger.check() == []
    db.session.commit()
