"""Reviews: who may write one (the buyer of a delivered sub-order, once per product bought in
it, editable for 30 days), the cooperative's one reply, reports, the admins' hiding and
restoring (audited), and the stored averages, changed in the same transaction as the review.

Plain functions: no request, no session; they flush and raise DomainErrors; the view commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from marketplace import storage, timeutil
from marketplace.audit import record_audit
from marketplace.catalogue.models import Product
from marketplace.catalogue.queries import BadCursor, decode_cursor, encode_cursor  # noqa: F401
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.orders.models import CooperativeOrder, Order, OrderLine, SubOrderStatus
from marketplace.reviews.models import (
    Review,
    ReviewPhoto,
    ReviewReply,
    ReviewReport,
    ReviewStatus,
)

EDITABLE_DAYS = 30
MAX_BODY = 2000
MAX_REPLY = 1000
MAX_REASON = 1000
MAX_PHOTOS = 3
# Unicode bidi controls (embeddings, overrides, isolates, marks): a review cannot reorder
# the text around it. Other control characters but the line break are dropped too.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str | None, limit: int) -> str:
    """Plain text as typed, made safe to store: bidi controls and other control characters
    removed, lines trimmed, at most two blank lines, at most ``limit`` characters."""
    text = unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = _BIDI.sub("", text)
    text = "".join(ch for ch in text if ch == "\n" or not unicodedata.category(ch).startswith("C"))
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if len(text) > limit:
        raise InvalidInput(_l("The text is too long (at most %(n)d characters).", n=limit))
    return text


# --- eligibility ----------------------------------------------------------------------------


def _delivered_line(user, sub_order_id: int, product_id: int) -> CooperativeOrder:
    """The user's delivered sub-order holding ``product_id``; NotFound when it is not theirs,
    Forbidden when not delivered, NotFound when the product is not in it."""
    sub = db.session.scalar(
        select(CooperativeOrder)
        .join(Order, Order.id == CooperativeOrder.order_id)
        .where(CooperativeOrder.id == sub_order_id, Order.user_id == user.id)
    )
    if sub is None:
        raise NotFound()
    bought = db.session.scalar(
        select(OrderLine.id).where(
            OrderLine.sub_order_id == sub.id, OrderLine.product_id == product_id
        )
    )
    if bought is None:
        raise NotFound()
    if sub.status != SubOrderStatus.DELIVERED.value:
        raise Forbidden(_l("You can review a product once it has been delivered to you."))
    return sub


def existing_review(sub_order_id: int, product_id: int) -> Review | None:
    return db.session.scalar(
        select(Review).where(Review.sub_order_id == sub_order_id, Review.product_id == product_id)
    )


def can_edit(review: Review, now: datetime | None = None) -> bool:
    now = now or timeutil.utcnow()
    return now - _aware(review.created_at) <= timedelta(days=EDITABLE_DAYS)


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def review_target(
    user, sub_order_id: int, product_id: int
) -> tuple[CooperativeOrder, Review | None]:
    """What the review form is about: the delivered sub-order and the review already written."""
    sub = _delivered_line(user, sub_order_id, product_id)
    return sub, existing_review(sub.id, product_id)


def awaiting_review(user) -> list[tuple[CooperativeOrder, OrderLine, Review | None]]:
    """Products of the user's delivered sub-orders, with their review (None if not yet)."""
    rows = db.session.execute(
        select(CooperativeOrder, OrderLine)
        .join(Order, Order.id == CooperativeOrder.order_id)
        .join(OrderLine, OrderLine.sub_order_id == CooperativeOrder.id)
        .where(
            Order.user_id == user.id,
            CooperativeOrder.status == SubOrderStatus.DELIVERED.value,
            OrderLine.product_id.is_not(None),
        )
        .order_by(CooperativeOrder.delivered_at.desc(), CooperativeOrder.id.desc(), OrderLine.id)
        .limit(200)
    ).all()
    reviews = {
        (r.sub_order_id, r.product_id): r
        for r in db.session.scalars(
            select(Review).where(Review.sub_order_id.in_([sub.id for sub, _ in rows]))
        )
    }
    seen, result = set(), []
    for sub, line in rows:
        key = (sub.id, line.product_id)
        if key not in seen:
            seen.add(key)
            result.append((sub, line, reviews.get(key)))
    return result


# --- stored averages ---------------------------------------------------------------------------


def _move_totals(product_id: int, cooperative_id: int, rating_delta: int, count_delta: int) -> None:
    """Add to the stored totals with one UPDATE each (the database adds: two reviews at once
    both count)."""
    if not (rating_delta or count_delta):
        return
    for model, key in ((Product, product_id), (Cooperative, cooperative_id)):
        db.session.execute(
            update(model)
            .where(model.id == key)
            .values(
                rating_sum=model.rating_sum + rating_delta,
                rating_count=model.rating_count + count_delta,
            )
            .execution_options(synchronize_session="fetch")
        )


# --- writing, editing --------------------------------------------------------------------------


@dataclass
class ReviewData:
    rating: int
    body: str = ""
    locale: str = "fr"
    photos: list = field(default_factory=list)  # uploaded files
    remove_photo_ids: list[int] = field(default_factory=list)


def save_review(user, sub_order_id: int, product_id: int, data: ReviewData) -> Review:
    """Write the user's review of a product of a delivered sub-order, or change it within
    30 days. The product's and cooperative's totals change in the same transaction."""
    sub = _delivered_line(user, sub_order_id, product_id)
    if not 1 <= int(data.rating) <= 5:
        raise InvalidInput(_l("Give a rating from 1 to 5 stars."))
    body = clean_text(data.body, MAX_BODY)
    review = existing_review(sub.id, product_id)
    if review is None:
        review = Review(
            product_id=product_id,
            cooperative_id=sub.cooperative_id,
            sub_order_id=sub.id,
            user_id=user.id,
            rating=int(data.rating),
            body=body,
            locale=data.locale,
            status=ReviewStatus.VISIBLE.value,
        )
        try:
            with db.session.begin_nested():
                db.session.add(review)
        except IntegrityError as exc:  # written meanwhile in another request
            raise Conflict(_l("You have already reviewed this product.")) from exc
        _move_totals(product_id, sub.cooperative_id, review.rating, 1)
    else:
        if not can_edit(review):
            raise Forbidden(_l("A review can be changed during 30 days only."))
        old = review.rating
        review.rating, review.body, review.locale = int(data.rating), body, data.locale
        review.edited_at = timeutil.utcnow()
        if review.visible:
            _move_totals(product_id, sub.cooperative_id, review.rating - old, 0)
    _change_photos(review, data)
    db.session.flush()
    return review


def _change_photos(review: Review, data: ReviewData) -> None:
    for photo in list(review.photos):
        if photo.id in set(data.remove_photo_ids):
            review.photos.remove(photo)
    files = [f for f in data.photos if getattr(f, "filename", "")]
    if len(review.photos) + len(files) > MAX_PHOTOS:
        raise InvalidInput(_l("At most %(n)d photos per review.", n=MAX_PHOTOS))
    position = max((p.position for p in review.photos), default=-1) + 1
    for upload in files:
        stored = storage.save_image(upload, "product")
        review.photos.append(
            ReviewPhoto(
                stored_name=stored.name,
                width=stored.width,
                height=stored.height,
                position=position,
            )
        )
        position += 1


# --- replies and reports --------------------------------------------------------------------------


def review_for_cooperative(review_id: int, cooperative_id: int | None) -> Review:
    review = db.session.get(Review, review_id)
    if review is None or review.cooperative_id != cooperative_id:
        raise NotFound()
    return review


def reply(review: Review, member, body: str) -> ReviewReply:
    """The cooperative's one public reply to a review of its product."""
    if member.cooperative_id != review.cooperative_id:
        raise NotFound()
    text = clean_text(body, MAX_REPLY)
    if not text:
        raise InvalidInput(_l("Write your reply."))
    if review.reply is not None:
        raise Conflict(_l("Your cooperative has already replied to this review."))
    answer = ReviewReply(author_id=member.id, body=text)
    try:
        with db.session.begin_nested():
            review.reply = answer
    except IntegrityError as exc:
        raise Conflict(_l("Your cooperative has already replied to this review.")) from exc
    return answer


def report(review: Review, user, reason: str) -> ReviewReport:
    """A shopper, or a member of the reviewed cooperative, asks the admins to look at it."""
    if user.is_admin or (user.cooperative_id and user.cooperative_id != review.cooperative_id):
        raise Forbidden()
    if review.user_id == user.id:
        raise Forbidden(_l("You cannot report your own review."))
    text = clean_text(reason, MAX_REASON)
    if not text:
        raise InvalidInput(_l("Say what is wrong with this review."))
    found = db.session.scalar(
        select(ReviewReport).where(
            ReviewReport.review_id == review.id, ReviewReport.reporter_id == user.id
        )
    )
    if found is not None:
        raise Conflict(_l("You have already reported this review."))
    entry = ReviewReport(review_id=review.id, reporter_id=user.id, reason=text)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError as exc:
        raise Conflict(_l("You have already reported this review.")) from exc
    return entry


# --- moderation -----------------------------------------------------------------------------

MODERATION = {"hide": ReviewStatus.HIDDEN, "restore": ReviewStatus.VISIBLE}


def moderate(review: Review, admin, action: str, reason: str) -> None:
    """Hide or restore a review, with a reason (audited); a hidden review leaves the
    averages and comes back into them when restored. Open reports are resolved."""
    new = MODERATION.get(action)
    if new is None:
        raise InvalidInput()
    reason = clean_text(reason, MAX_REASON)
    if not reason:
        raise InvalidInput(_l("Say why."))
    old = review.status
    if old == new.value:
        raise Conflict(_l("This review already has this status."))
    review.status = new.value
    review.hidden_reason = reason if new is ReviewStatus.HIDDEN else ""
    sign = -1 if new is ReviewStatus.HIDDEN else 1
    _move_totals(review.product_id, review.cooperative_id, sign * review.rating, sign)
    now = timeutil.utcnow()
    for entry in review.reports:
        if entry.resolved_at is None:
            entry.resolved_at = now
    db.session.flush()
    record_audit(
        admin,
        f"review.{'hidden' if new is ReviewStatus.HIDDEN else 'restored'}",
        target_type="review",
        target_id=review.id,
        target_label=f"#{review.id}",
        old_value=old,
        new_value=new.value,
        reason=reason,
        product_id=review.product_id,
    )


def moderation_queue(limit: int = 100) -> tuple[list[Review], list[Review]]:
    """Reviews with open reports (most reported first), and hidden reviews (latest first)."""
    open_reports = (
        select(ReviewReport.review_id, func.count().label("n"))
        .where(ReviewReport.resolved_at.is_(None))
        .group_by(ReviewReport.review_id)
        .subquery()
    )
    options = (
        selectinload(Review.reports),
        selectinload(Review.photos),
        selectinload(Review.reply),
    )
    reported = list(
        db.session.scalars(
            select(Review)
            .join(open_reports, open_reports.c.review_id == Review.id)
            .options(*options)
            .order_by(open_reports.c.n.desc(), Review.id.desc())
            .limit(limit)
        )
    )
    hidden = list(
        db.session.scalars(
            select(Review)
            .where(Review.status == ReviewStatus.HIDDEN.value)
            .options(*options)
            .order_by(Review.id.desc())
            .limit(limit)
        )
    )
    return reported, hidden


# --- reading ---------------------------------------------------------------------------------


def distribution(product_id: int) -> dict[int, int]:
    """{stars: count} of a product's visible reviews (one grouped query on its index)."""
    counts = dict.fromkeys(range(5, 0, -1), 0)
    for rating, count in db.session.execute(
        select(Review.rating, func.count())
        .where(Review.product_id == product_id, Review.status == ReviewStatus.VISIBLE.value)
        .group_by(Review.rating)
    ):
        counts[int(rating)] = int(count)
    return counts


@dataclass
class ReviewPage:
    reviews: list[Review]
    next_cursor: str | None


def _sort_columns(locale: str):
    in_locale = case((Review.locale == locale, 1), else_=0)
    return [
        (in_locale, True, "int"),
        (Review.created_at, True, "datetime"),
        (Review.id, True, "int"),
    ]


def product_reviews(
    product_id: int, locale: str, *, per_page: int = 10, after: str | None = None
) -> ReviewPage:
    """Visible reviews of a product: those written in ``locale`` first, then newest first;
    keyset pagination (``after`` is the cursor of the previous page). Raises BadCursor."""
    columns = _sort_columns(locale)
    statement = (
        select(Review, *(expr for expr, _, _ in columns))
        .where(Review.product_id == product_id, Review.status == ReviewStatus.VISIBLE.value)
        .options(selectinload(Review.photos), joinedload(Review.reply), joinedload(Review.user))
    )
    if after:
        values = decode_cursor(after, columns)
        row = tuple_(*(expr for expr, _, _ in columns))
        statement = statement.where(row < tuple_(*(literal(v) for v in values)))
    rows = db.session.execute(
        statement.order_by(*(expr.desc() for expr, _, _ in columns)).limit(per_page + 1)
    ).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    cursor = None
    if more and rows:
        last = rows[-1]
        cursor = encode_cursor([v.isoformat() if isinstance(v, datetime) else v for v in last[1:]])
    return ReviewPage(reviews=[row[0] for row in rows], next_cursor=cursor)


def reviewer_name(review: Review) -> str:
    """What the public sees of the reviewer: the first name and the initial of the last."""
    parts = (review.user.name if review.user else "").split()
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][:1]}."


def cooperative_reviews(cooperative_id: int, limit: int = 100) -> list[Review]:
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.cooperative_id == cooperative_id)
            .options(selectinload(Review.reply), selectinload(Review.product))
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
    )
