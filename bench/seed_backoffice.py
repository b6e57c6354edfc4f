"""The back office of the bench database (issue #11, "Measure before and after"): what the
logged-in shopper's, the cooperative's and the admin's pages read, at the size the issue names.

On top of the catalogue and the order history of ``bench.seed``:
- a cooperative with 5,000 orders (``BIG_COOPERATIVE``, its owner ``coop2@bench.ma``), the
  newest still to ship, with their lines, timelines and payments;
- a shopper with an order history (``shopper0@bench.ma``: every 20th of those orders);
- a payment per order (a quarter of the orders by card, paid), the cash collected for every
  delivered cash-on-delivery part, the double-entry ledger of every sale, cash collection and
  payout, and monthly payout batches (the last one open), consistent enough that
  ``flask payments check-ledger`` finds nothing wrong;
- documents for the applications waiting in the verification queue;
- 1,000,000 rows of the admin's audit log.

Written with COPY in the database's own columns (``bench.seed.copy_rows``), so the same data
goes into an older schema for ``bench.run --compare-with``: tables it lacks are skipped, and an
older ledger without accounts (single entry) gets only the cooperatives' lines. The same seed
always produces the same rows.
"""

from __future__ import annotations

import random
from datetime import timedelta

from bench.seed import EPOCH, copy_rows, database_columns, order_line

BIG_COOPERATIVE = 2  # verified (bench.seed: ids ≡ 0 or 1 mod 20 are pending or suspended)
BIG_COOPERATIVE_ORDERS = 5_000
SHOPPER_EVERY = 20  # the bench shopper placed every 20th of the big cooperative's orders
AUDIT_ROWS = 1_000_000
CARD_SHARE = 4  # one order in 4 paid by card
COMMISSION_BP = 1000
AUDIT_ACTIONS = (
    ("cooperative.verified", "pending", "verified", ""),
    ("cooperative.rejected", "pending", "rejected", "Documents illisibles"),
    ("cooperative.suspended", "verified", "suspended", "Produits non conformes"),
    ("cooperative.reinstated", "suspended", "verified", ""),
    ("mail.send_again", "", "", "SMTPServerDisconnected"),
    ("payout_batch.downloaded_again", "", "", ""),
    ("label.changed", "", "", ""),
    ("api_token.revoked", "", "", ""),
)


def commission(items_cents: int) -> int:
    return (items_cents * COMMISSION_BP + 5000) // 10000


def seed_backoffice(
    conn,
    catalogue: dict,
    *,
    big_orders: int = BIG_COOPERATIVE_ORDERS,
    audit_rows: int = AUDIT_ROWS,
) -> dict:
    """Everything above; returns what the benchmark needs to find its pages."""
    rng = random.Random(11)
    shopper = catalogue["first_shopper"]
    big = _big_cooperative_orders(conn, rng, catalogue, big_orders, shopper)
    _card_payments_for_a_quarter(conn)
    subs = _sub_orders(conn)
    _payments(conn, subs)
    _cash_collections(conn, subs)
    ledger = _ledger(conn, catalogue, subs)
    _documents(conn, catalogue)
    _audit_log(conn, random.Random(12), catalogue, audit_rows)
    return {
        "big_cooperative": BIG_COOPERATIVE,
        "big_cooperative_email": f"coop{BIG_COOPERATIVE}@bench.ma",
        "big_cooperative_orders": big,
        "shopper_email": "shopper0@bench.ma",
        "audit_rows": audit_rows,
        **ledger,
    }


def _next_ids(conn) -> dict[str, int]:
    return {
        table: conn.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"').fetchone()[0]  # noqa: S608  # nosec B608 - our own table names
        for table in ("orders", "cooperative_orders", "order_lines", "order_events")
    }


def _big_cooperative_orders(
    conn, rng: random.Random, catalogue: dict, wanted: int, shopper: int
) -> int:
    """Orders of the big cooperative, up to ``wanted`` with those it already has."""
    had = conn.execute(
        "SELECT count(*) FROM cooperative_orders WHERE cooperative_id = %s", (BIG_COOPERATIVE,)
    ).fetchone()[0]
    count = max(0, wanted - had)
    products = [p for p in catalogue["products"] if p[1] == BIG_COOPERATIVE]
    ids = _next_ids(conn)
    oid, sub_id, line_id, event_id = (
        ids["orders"],
        ids["cooperative_orders"],
        ids["order_lines"],
        ids["order_events"],
    )
    shipping = next(
        c["shipping_fee_cents"] for c in catalogue["coop_rows"] if c["id"] == BIG_COOPERATIVE
    )
    orders, subs, lines, events = [], [], [], []
    for n in range(count):
        created = EPOCH + timedelta(minutes=n * 137)
        left = count - n  # the newest are still to ship, or on their way
        card = rng.randrange(CARD_SHARE) == 0
        if left <= 120:
            status = "confirmed"
        elif left <= 240:
            status = "shipped"
        elif not card and rng.random() < 0.04:
            status = "cancelled"
        else:
            status = "delivered"
        items = 0
        for product in rng.sample(products, min(len(products), rng.randint(1, 3))):
            # One of the product's variants, with the snapshot an order keeps.
            line = {**order_line(rng, line_id, sub_id, product), "commission_bp": COMMISSION_BP}
            lines.append(line)
            line_id += 1
            items += line["line_total_cents"]
        steps = {"confirmed": created}
        if status in ("shipped", "delivered"):
            steps["shipped"] = created + timedelta(days=1)
        if status == "delivered":
            steps["delivered"] = created + timedelta(days=3)
        if status == "cancelled":
            steps["cancelled"] = created + timedelta(hours=5)
        subs.append(
            {
                "id": sub_id,
                "order_id": oid,
                "cooperative_id": BIG_COOPERATIVE,
                "status": status,
                "items_cents": items,
                "shipping_cents": shipping,
                "total_cents": items + shipping,
                "commission_bp": COMMISSION_BP,
                "commission_cents": commission(items),
                "carrier": "Amana" if "shipped" in steps else "",
                "tracking_number": f"AM{oid:09d}MA" if "shipped" in steps else "",
                "stock_returned": status == "cancelled",
                "created_at": created,
                "updated_at": max(steps.values()),
                "confirmed_at": created,
                "shipped_at": steps.get("shipped"),
                "delivered_at": steps.get("delivered"),
                "cancelled_at": steps.get("cancelled"),
            }
        )
        previous = None
        for to_status, at in steps.items():
            events.append(
                {
                    "id": event_id,
                    "sub_order_id": sub_id,
                    "from_status": previous,
                    "to_status": to_status,
                    "actor_role": "system" if previous is None else "cooperative",
                    "created_at": at,
                }
            )
            event_id += 1
            previous = to_status
        buyer = shopper if n % SHOPPER_EVERY == 0 else shopper + 1 + rng.randrange(1999)
        orders.append(
            {
                "id": oid,
                "number": f"DT-{created.year}-{oid:06d}",
                "user_id": buyer,
                "email": f"shopper{buyer - shopper}@bench.ma",
                "contact_name": "Client",
                "phone": "+212600000000",
                "address_line1": "12 rue des Oasis",
                "city": "Errachidia",
                "region": "Drâa-Tafilalet",
                "locale": rng.choice(("ar", "fr", "en")),
                "payment_method": "card" if card else "cod",
                "items_cents": items,
                "shipping_cents": shipping,
                "total_cents": items + shipping,
                "status": status,
                "idempotency_token": f"bench-{oid}",
                "created_at": created,
                "updated_at": max(steps.values()),
            }
        )
        oid += 1
        sub_id += 1
    copy_rows(conn, "orders", orders, len(orders), "orders (big cooperative)")
    copy_rows(conn, "cooperative_orders", subs, len(subs), "sub-orders (big cooperative)")
    copy_rows(conn, "order_lines", lines, len(lines), "order lines (big cooperative)")
    copy_rows(conn, "order_events", events, len(events), "order events (big cooperative)")
    return had + count


def _card_payments_for_a_quarter(conn) -> None:
    """The history of ``bench.seed`` is all cash on delivery: a quarter of it (never an order
    with a cancelled part, which would need a refund) was paid by card. Each order's status
    is derived from its parts, as the status machine does."""
    conn.execute(
        "UPDATE orders o SET payment_method = 'card' WHERE o.id %% %s = 0 AND NOT EXISTS ("
        "SELECT 1 FROM cooperative_orders s WHERE s.order_id = o.id AND s.status = 'cancelled')",
        (CARD_SHARE,),
    )
    conn.execute(
        "UPDATE orders o SET status = CASE"
        " WHEN d.live = 0 THEN 'cancelled'"
        " WHEN d.delivered = d.live THEN 'delivered'"
        " WHEN d.shipped + d.delivered = d.live THEN 'shipped'"
        " WHEN d.shipped + d.delivered > 0 THEN 'partially_shipped'"
        " ELSE 'confirmed' END "
        "FROM (SELECT order_id,"
        " count(*) FILTER (WHERE status <> 'cancelled') AS live,"
        " count(*) FILTER (WHERE status = 'delivered') AS delivered,"
        " count(*) FILTER (WHERE status = 'shipped') AS shipped"
        " FROM cooperative_orders GROUP BY order_id) d WHERE d.order_id = o.id"
    )


def _sub_orders(conn) -> list[tuple]:
    """Every sub-order with what the payments and the ledger need, in id order:
    (id, order id, cooperative, status, items, total, created, card?, order total)."""
    return conn.execute(
        "SELECT s.id, s.order_id, s.cooperative_id, s.status, s.items_cents, s.total_cents,"
        " s.created_at, o.payment_method = 'card', o.total_cents "
        "FROM cooperative_orders s JOIN orders o ON o.id = s.order_id ORDER BY s.id"
    ).fetchall()


def _payments(conn, subs: list[tuple]) -> None:
    """One payment per order: a card order paid when placed; cash paid once every part still
    live was delivered (its cash collected), cancelled when every part was."""
    orders: dict[int, dict] = {}
    for _sid, oid, _coop, status, _items, _total, created, card, order_total in subs:
        order = orders.setdefault(
            oid, {"card": card, "total": order_total, "created": created, "statuses": []}
        )
        order["statuses"].append(status)
    rows = []
    for oid, order in sorted(orders.items()):
        live = [s for s in order["statuses"] if s != "cancelled"]
        if order["card"]:
            status, received = "paid", order["total"]
        elif not live:
            status, received = "cancelled", 0
        elif all(s == "delivered" for s in live):
            status, received = "paid", order["total"]
        else:
            status, received = "pending", 0
        paid_at = order["created"] + timedelta(minutes=2) if status == "paid" else None
        rows.append(
            {
                "id": oid,
                "order_id": oid,
                "provider": "stripe" if order["card"] else "cash",
                "status": status,
                "amount_cents": order["total"],
                "currency": "MAD",
                "attempt": 1 if order["card"] else 0,
                "stripe_session_id": f"cs_bench_{oid}" if order["card"] else None,
                "stripe_payment_intent_id": f"pi_bench_{oid}" if order["card"] else None,
                "received_cents": received,
                # A few card payments wait for an admin's look (the payments page's first rows).
                "flagged_for_review": order["card"] and oid % 997 == 0,
                "review_reason": "amount_mismatch" if order["card"] and oid % 997 == 0 else "",
                "paid_at": paid_at,
                "created_at": order["created"],
                "updated_at": paid_at or order["created"],
            }
        )
    copy_rows(conn, "payments", rows, len(rows), "payments")


def _delivered_at(created):
    return created + timedelta(days=3)


def _cash_collections(conn, subs: list[tuple]) -> None:
    rows = [
        {
            "id": sid,
            "sub_order_id": sid,
            "amount_cents": total,
            "collected_by_id": 1 + coop,  # the cooperative's owner (bench.seed's users)
            "collected_at": _delivered_at(created) + timedelta(hours=2),
        }
        for sid, _oid, coop, status, _items, total, created, card, _ in subs
        if status == "delivered" and not card
    ]
    copy_rows(conn, "cash_collections", rows, len(rows), "cash collected")


def _ledger(conn, catalogue: dict, subs: list[tuple]) -> dict:
    """The ledger of every money event, in time order (see marketplace/payments/ledger.py):
    card payments, card and cash sales when delivered, cash collected, and a payout batch
    at the start of each month paying every cooperative its positive balance (the last
    batch still open: exported, not paid yet)."""
    double_entry = "account" in database_columns(conn, "ledger_entries")
    events = []  # (when, order of kind, kind, lines, refs)
    paid_orders = set()
    for sid, oid, coop, status, items, total, created, card, order_total in subs:
        if card and oid not in paid_orders:
            paid_orders.add(oid)
            events.append(
                (
                    created + timedelta(minutes=2),
                    0,
                    "card_payment",
                    [
                        ("card_payments", -order_total, None, ""),
                        ("orders_prepaid", order_total, None, ""),
                    ],
                    {"payment_id": oid},
                )
            )
        if status != "delivered":
            continue
        fee = commission(items)
        when = _delivered_at(created)
        if card:
            lines = [
                ("orders_prepaid", -total, None, ""),
                ("payable", total, coop, "gross"),
                ("payable", -fee, coop, "commission"),
                ("commission", fee, None, ""),
            ]
            events.append((when, 1, "card_sale", lines, {"sub_order_id": sid}))
        else:
            lines = [("payable", -fee, coop, "cod_commission_debit"), ("commission", fee, None, "")]
            events.append((when, 1, "cod_sale", lines, {"sub_order_id": sid}))
            events.append(
                (
                    when + timedelta(hours=2),
                    2,
                    "cod_collected",
                    [("cod_cash", -total, coop, ""), ("cod_sales", total, coop, "")],
                    {"sub_order_id": sid},
                )
            )
    events.sort(
        key=lambda e: (e[0], e[1], e[4].get("sub_order_id") or 0, e[4].get("payment_id") or 0)
    )
    ribs = {c["id"]: f"0117800000{c['id']:012d}{c['id'] % 97:02d}" for c in catalogue["coop_rows"]}
    transactions, entries, batches, payouts = [], [], [], []
    balances: dict[int, int] = {}

    def post(kind, lines, when, refs, description=""):
        transaction_id = len(transactions) + 1
        transactions.append(
            {
                "id": transaction_id,
                "kind": kind,
                "description": description,
                "created_at": when,
                **refs,
            }
        )
        for account, amount, coop, line_kind in lines:
            on_payable = account == "payable"
            if on_payable:
                balances[coop] = balances.get(coop, 0) + amount
            elif not double_entry:
                continue  # an older single-entry ledger holds only the cooperatives' lines
            entries.append(
                {
                    "id": len(entries) + 1,
                    "transaction_id": transaction_id,
                    "account": account,
                    "cooperative_id": coop,
                    "kind": line_kind or kind,
                    "amount_cents": amount,
                    "sub_order_id": refs.get("sub_order_id") if on_payable else None,
                    "payout_id": refs.get("payout_id") if on_payable else None,
                    "description": description,
                    "created_at": when,
                }
            )

    def pay_out(when, paid: bool) -> None:
        batch_id = len(batches) + 1
        owed = sorted((coop, amount) for coop, amount in balances.items() if amount > 0)
        if not owed:
            return
        reference = f"VIR-BENCH-{batch_id:04d}" if paid else ""
        batches.append(
            {
                "id": batch_id,
                "status": "paid" if paid else "open",
                "transfer_reference": reference,
                "created_by_id": 1,
                "created_at": when,
                "paid_at": when + timedelta(days=2) if paid else None,
            }
        )
        for coop, amount in owed:
            payout_id = len(payouts) + 1
            payouts.append(
                {
                    "id": payout_id,
                    "batch_id": batch_id,
                    "cooperative_id": coop,
                    "amount_cents": amount,
                    "rib": ribs[coop],
                    "paid_at": when + timedelta(days=2) if paid else None,
                }
            )
            if paid:
                post(
                    "payout",
                    [("payable", -amount, coop, "payout"), ("payouts", amount, None, "")],
                    when + timedelta(days=2),
                    {"payout_id": payout_id},
                    reference,
                )

    month = _month_after(events[0][0]) if events else None
    for when, _order, kind, lines, refs in events:
        while month is not None and when >= month:
            pay_out(month, paid=True)
            month = _month_after(month)
        post(kind, lines, when, refs)
    if month is not None:
        pay_out(month, paid=False)
    copy_rows(conn, "payout_batches", batches, len(batches), "payout batches")
    copy_rows(conn, "payouts", payouts, len(payouts), "payouts")
    copy_rows(conn, "ledger_transactions", transactions, len(transactions), "ledger transactions")
    copy_rows(conn, "ledger_entries", entries, len(entries), "ledger entries")
    return {"ledger_entries": len(entries), "payout_batches": len(batches), "payouts": len(payouts)}


def _month_after(when):
    first = when.replace(day=1, hour=6, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def _documents(conn, catalogue: dict) -> None:
    """The verification documents of every cooperative waiting in the queue."""
    rows = []
    for coop in catalogue["coop_rows"]:
        if coop["status"] != "pending":
            continue
        for kind in ("statutes", "registration_certificate", "other"):
            rows.append(
                {
                    "id": len(rows) + 1,
                    "cooperative_id": coop["id"],
                    "kind": kind,
                    "original_name": f"{kind}.pdf",
                    "stored_name": f"bench-{coop['id']:05d}-{kind}",
                    "content_type": "application/pdf",
                    "size_bytes": 184_000,
                    "uploaded_at": EPOCH,
                }
            )
    copy_rows(conn, "cooperative_documents", rows, len(rows), "application documents")


def _audit_log(conn, rng: random.Random, catalogue: dict, total: int) -> None:
    """``total`` decisions of the admin, one every 30 seconds from EPOCH."""
    coops = [(c["id"], f"Coopérative {c['id']}") for c in catalogue["coop_rows"]]

    def rows():
        for n in range(total):
            action, old, new, reason = AUDIT_ACTIONS[rng.randrange(len(AUDIT_ACTIONS))]
            coop, label = coops[rng.randrange(len(coops))]
            yield {
                "id": n + 1,
                "created_at": EPOCH + timedelta(seconds=30 * n),
                "actor_id": 1,
                "actor_email": "admin@bench.ma",
                "actor_name": "Admin",
                "action": action,
                "target_type": "cooperative",
                "target_id": coop,
                "target_label": label,
                "old_value": old,
                "new_value": new,
                "reason": reason,
                "details": "{}",
            }

    copy_rows(conn, "audit_log", rows(), total, "audit log")
