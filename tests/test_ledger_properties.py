"""Property test of the ledger: for random orders (card or cash, delivered or not, partly
refunded, paid out at a random moment), every delivered sub-order's commission + net equals
its gross, and a cooperative's balance is its delivered net minus payouts and refunds."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.money import percent_of
from marketplace.payments import ledger, payouts, refunds, services
from marketplace.payments.models import LedgerEntry
from tests.factories import AdminFactory, CategoryFactory, CooperativeFactory, ProductFactory
from tests.payments_support import deliver, place

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


def _share(commission: int, gross: int, refunded: int) -> int:
    if gross <= 0:
        return 0
    value = (Decimal(commission) * refunded / gross).quantize(Decimal("1"), ROUND_HALF_UP)
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
                    order, lang="fr", success_url="http://x/ok", cancel_url="http://x/no"
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
                returned = _share(commission, gross, amount)
                expected += (-amount + returned) if spec["card"] else returned
    if payout_at >= len(specs):
        pay_out()

    balance = ledger.balance_cents(coop.id)
    assert balance == expected - paid_out
    total = db.session.scalar(
        select(func.sum(LedgerEntry.amount_cents)).where(LedgerEntry.cooperative_id == coop.id)
    )
    assert (total or 0) == balance
    db.session.commit()
