"""Property tests: for random carts no centime is lost or created between lines, sub-orders
and the order."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.money import percent_of
from marketplace.orders.pricing import MAX_LINE_QUANTITY, Quote, QuoteGroup, QuoteLine
from tests.factories import CooperativeFactory, ProductFactory, place_test_order

cooperatives = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20_000),  # flat fee
        st.one_of(st.none(), st.integers(min_value=0, max_value=200_000)),  # free above
    ),
    min_size=1,
    max_size=4,
)
lines = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # which cooperative
        st.integers(min_value=0, max_value=1_000_000),  # unit price in centimes
        st.integers(min_value=1, max_value=MAX_LINE_QUANTITY),
    ),
    min_size=1,
    max_size=12,
)


@given(coops=cooperatives, cart=lines)
def test_quote_totals_add_up(app, coops, cart):
    cooperative_rows = [
        Cooperative(id=i + 1, shipping_fee_cents=fee, free_shipping_threshold_cents=threshold)
        for i, (fee, threshold) in enumerate(coops)
    ]
    groups: dict[int, QuoteGroup] = {}
    for n, (which, price, quantity) in enumerate(cart):
        cooperative = cooperative_rows[which % len(cooperative_rows)]
        group = groups.setdefault(cooperative.id, QuoteGroup(cooperative))
        group.lines.append(QuoteLine(None, n, quantity, price))
    quote = Quote(list(groups.values()))

    assert quote.total_cents == sum(g.total_cents for g in quote.groups)
    assert quote.items_cents == sum(price * qty for _, price, qty in cart)
    assert quote.total_cents == quote.items_cents + quote.shipping_cents
    for group in quote.groups:
        fee = group.cooperative.shipping_fee_cents
        threshold = group.cooperative.free_shipping_threshold_cents
        assert group.items_cents == sum(
            line.unit_price_cents * line.quantity for line in group.lines
        )
        free = group.items_cents == 0 or (threshold is not None and group.items_cents >= threshold)
        assert group.shipping_cents == (0 if free else fee)
        assert group.total_cents == group.items_cents + group.shipping_cents


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(coops=cooperatives, cart=lines)
def test_placed_orders_keep_every_centime(app, coops, cart):
    # Sums, not the caps on an order's total, are under test here: lift both caps.
    caps = {key: app.config.get(key) for key in ("COD_MAX_TOTAL_CENTS", "MAX_ORDER_TOTAL_CENTS")}
    app.config.update(dict.fromkeys(caps, 10**12))
    try:
        cooperative_rows = [
            CooperativeFactory(shipping_fee_cents=fee, free_shipping_threshold_cents=threshold)
            for fee, threshold in coops
        ]
        wanted = {}
        for which, price, quantity in cart:
            product = ProductFactory(
                cooperative=cooperative_rows[which % len(cooperative_rows)],
                price_cents=price,
                stock=quantity,
            )
            wanted[product] = quantity
        order = place_test_order(wanted)
        db.session.commit()

        order_lines = [line for sub in order.sub_orders for line in sub.lines]
        assert len(order_lines) == len(cart)
        assert order.items_cents == sum(price * qty for _, price, qty in cart)
        assert order.total_cents == sum(sub.total_cents for sub in order.sub_orders)
        assert order.total_cents == order.items_cents + order.shipping_cents
        assert order.shipping_cents == sum(sub.shipping_cents for sub in order.sub_orders)
        for sub in order.sub_orders:
            assert all(ln.line_total_cents == ln.unit_price_cents * ln.quantity for ln in sub.lines)
            assert sub.items_cents == sum(line.line_total_cents for line in sub.lines)
            assert sub.total_cents == sub.items_cents + sub.shipping_cents
            assert sub.commission_cents == sum(
                percent_of(line.line_total_cents, line.commission_bp) for line in sub.lines
            )
        assert all(product.stock == 0 for product in wanted)
    finally:
        app.config.update(caps)
