"""Cooperative applications, THE cooperative status machine, and the profile and shipping
settings a verified cooperative's members change through the seller dashboard.

Plain functions: no request, no session. They check the rules, change the data, ``flush()``
and raise ``marketplace.errors.DomainError`` subclasses; the view commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import signals
from marketplace.audit import record_audit
from marketplace.auth import services as auth_services
from marketplace.auth.models import Role, User
from marketplace.cooperatives.models import (
    ApplicationDraft,
    Cooperative,
    CooperativeDocument,
    CooperativeStatus,
    CooperativeTranslation,
    DocumentKind,
    document_kind_label,
    status_label,
)
from marketplace.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import LOCALES, pick
from marketplace.mail import queue_mail
from marketplace.notify import services as notify
from marketplace.notify.models import NoticeKind
from marketplace.storage import save_image
from marketplace.timeutil import utcnow

# --- the status machine -------------------------------------------------------------------

S = CooperativeStatus
TRANSITIONS: dict[CooperativeStatus, frozenset[CooperativeStatus]] = {
    S.PENDING: frozenset({S.VERIFIED, S.REJECTED}),
    S.VERIFIED: frozenset({S.SUSPENDED}),
    S.SUSPENDED: frozenset({S.VERIFIED}),
    # A rejected cooperative's owner may correct the application and send it again.
    S.REJECTED: frozenset({S.PENDING}),
}
# Transitions made by the cooperative's owner, not by an admin: every other one is an
# admin's decision (or the system's, actor None).
OWNER_TRANSITIONS = frozenset({(S.REJECTED, S.PENDING)})
# Decisions that must say why.
NEEDS_REASON = frozenset({S.REJECTED, S.SUSPENDED})
MAX_REASON_LENGTH = 2000

# Reasons an admin can pick; shown to the cooperative in its members' languages.
REJECTION_REASONS = {
    "documents_missing": _l("Documents are missing or cannot be read."),
    "registration_invalid": _l("The registration number could not be confirmed."),
    "outside_region": _l("The cooperative is not located in the Drâa-Tafilalet region."),
    "information_mismatch": _l("The information given does not match the documents."),
    "other": _l("Another reason (see the note below)."),
}
SUSPENSION_REASONS = {
    "customer_complaints": _l("Repeated complaints from customers."),
    "documents_expired": _l("The cooperative's documents have expired."),
    "policy_violation": _l("Products that break the marketplace rules."),
    "other": _l("Another reason (see the note below)."),
}
REASON_LABELS = {**REJECTION_REASONS, **SUSPENSION_REASONS}


def reason_label(code: str | None) -> str:
    """Translated text of a reason code ('' when none)."""
    label = REASON_LABELS.get(code or "")
    return str(label) if label is not None else ""


def allowed_transitions(status: str) -> frozenset[CooperativeStatus]:
    try:
        return TRANSITIONS[CooperativeStatus(status)]
    except ValueError:
        return frozenset()


def change_status(
    cooperative: Cooperative,
    new_status: str | CooperativeStatus,
    actor: User | None,
    reason: str = "",
    reason_code: str = "",
) -> Cooperative:
    """Move ``cooperative`` to ``new_status``: pending → verified | rejected,
    verified → suspended → verified, and rejected → pending (the owner sends the corrected
    application again, see ``resubmit_application``); anything else raises IllegalTransition.
    Admins make every decision; only the cooperative's owner resubmits.

    Rejection and suspension need a reason: a ``reason_code`` from the lists above and/or a
    free-text ``reason`` (required when the code is "other" or missing). Writes the audit
    log, sends ``signals.cooperative_status_changed`` (the catalogue indexes the cooperative's
    products again) and e-mails every member in their own language. Flushes, never commits.
    """
    try:
        target = CooperativeStatus(new_status)
    except ValueError as exc:
        raise IllegalTransition() from exc
    if actor is not None and not (actor.is_admin or actor.cooperative_id == cooperative.id):
        raise Forbidden()

    # Lock the row (PostgreSQL) and read its current status: two admins deciding at once
    # must not both succeed.
    db.session.flush()
    db.session.refresh(cooperative, with_for_update=True)
    old = CooperativeStatus(cooperative.status)
    if target not in TRANSITIONS[old]:
        raise IllegalTransition(
            _l(
                "A cooperative cannot go from “%(old)s” to “%(new)s”.",
                old=status_label(old),
                new=status_label(target),
            )
        )
    if actor is not None:
        if (old, target) in OWNER_TRANSITIONS:
            allowed = actor.is_cooperative_owner and actor.cooperative_id == cooperative.id
        else:
            allowed = actor.is_admin
        if not allowed:
            raise Forbidden()

    reason = (reason or "").strip()
    reason_code = (reason_code or "").strip()
    if target in NEEDS_REASON:
        choices = REJECTION_REASONS if target == S.REJECTED else SUSPENSION_REASONS
        if reason_code and reason_code not in choices:
            raise InvalidInput(_l("Choose one of the reasons in the list."), field="reason_code")
        if not reason and reason_code in ("", "other"):
            raise InvalidInput(
                _l("Please give the reason for this decision; the cooperative will see it."),
                field="reason",
            )
    else:
        reason_code = ""
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(
            _l("The reason may be at most %(n)d characters long.", n=MAX_REASON_LENGTH),
            field="reason",
        )

    cooperative.status = target.value
    cooperative.status_reason = reason if target in NEEDS_REASON else ""
    cooperative.status_reason_code = reason_code
    cooperative.status_changed_at = utcnow()

    record_audit(
        actor,
        f"cooperative.{_action_name(old, target)}",
        target_type="cooperative",
        target_id=cooperative.id,
        target_label=display_name(cooperative, "fr"),
        old_value=old.value,
        new_value=target.value,
        reason=_audit_reason(reason_code, reason),
        reason_code=reason_code,
    )
    db.session.flush()
    signals.cooperative_status_changed.send(
        cooperative, old=old.value, new=target.value, actor=actor, reason=reason
    )
    if (old, target) not in OWNER_TRANSITIONS:
        _mail_members(cooperative, old, target)
    return cooperative


def _action_name(old: CooperativeStatus, new: CooperativeStatus) -> str:
    if old == S.PENDING and new == S.VERIFIED:
        return "approved"
    if new == S.REJECTED:
        return "rejected"
    if new == S.SUSPENDED:
        return "suspended"
    if old == S.SUSPENDED and new == S.VERIFIED:
        return "reinstated"
    if old == S.REJECTED and new == S.PENDING:
        return "resubmitted"
    return new.value


def _audit_reason(code: str, note: str) -> str:
    """The reason as the admin gave it, in English for the log: "<code>: <note>"."""
    if code and note:
        return f"{code}: {note}"
    return code or note


STATUS_SUBJECTS = {
    "approved": _l("Your cooperative is verified: welcome to the marketplace"),
    "rejected": _l("Your cooperative's application was not accepted"),
    "suspended": _l("Your cooperative's shop has been suspended"),
    "reinstated": _l("Your cooperative's shop is open again"),
}


def _mail_members(cooperative: Cooperative, old: CooperativeStatus, new: CooperativeStatus):

    action = _action_name(old, new)
    for member in active_members(cooperative):
        locale = member.locale if member.locale in LOCALES else "fr"
        notify.notify_user(
            member,
            NoticeKind.VERIFICATION,
            f"cooperative_{action}",
            number=cooperative.registration_number,
            endpoint="cooperatives.application"
            if action == "rejected"
            else "cooperatives.dashboard",
            values={},
        )
        if not notify.wants_email(member, NoticeKind.VERIFICATION):
            continue
        queue_mail(
            member.email,
            locale,
            "cooperative_status_changed",
            STATUS_SUBJECTS[action],
            member=member,
            action=action,
            cooperative_name=display_name(cooperative, locale),
            reason_text=REASON_LABELS.get(cooperative.status_reason_code),
            reason_note=cooperative.status_reason,
            dashboard_url=external_url("cooperatives.dashboard", locale),
            status_url=external_url("cooperatives.application", locale),
        )


def active_members(cooperative: Cooperative) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.cooperative_id == cooperative.id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def display_name(cooperative: Cooperative, locale: str) -> str:
    return pick(cooperative.translations, locale).name or cooperative.registration_number


def external_url(endpoint: str, locale: str, **values: Any) -> str:
    """Absolute URL for an e-mail, also outside a request (CLI, demo data)."""
    try:
        return auth_services.external_url(endpoint, locale=locale, **values)
    except Exception:  # noqa: BLE001 - an endpoint not built yet must not break a decision
        return ""


# --- the application draft ----------------------------------------------------------------

STEPS = ("identity", "contact", "story", "documents", "review")
REQUIRED_DOCUMENTS = (DocumentKind.STATUTES.value, DocumentKind.REGISTRATION_CERTIFICATE.value)
MAX_DOCUMENTS = 8


def get_draft(user: User) -> ApplicationDraft | None:
    return db.session.scalar(select(ApplicationDraft).where(ApplicationDraft.user_id == user.id))


def get_or_create_draft(user: User) -> ApplicationDraft:
    draft = get_draft(user)
    if draft is None:
        draft = ApplicationDraft(user_id=user.id, data={}, documents=[])
        db.session.add(draft)
        db.session.flush()
    return draft


def ensure_can_apply(user: User) -> None:
    if user.is_admin:
        raise Forbidden(_l("Administrators cannot apply for a cooperative."))
    if user.is_observer:
        raise Forbidden(_l("Observer accounts cannot apply for a cooperative."))
    if user.cooperative_id is not None:
        raise Conflict(_l("You already belong to a cooperative."))


def normalize_registration_number(value: str) -> str:
    return re.sub(r"\s+", " ", (value or "").strip()).upper()


def registration_number_taken(number: str, exclude_id: int | None = None) -> bool:
    query = select(Cooperative.id).where(
        func.upper(Cooperative.registration_number) == normalize_registration_number(number)
    )
    if exclude_id is not None:
        query = query.where(Cooperative.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def save_step(draft: ApplicationDraft, step: str, values: dict[str, Any]) -> None:
    """Keep the values of one step (JSON-serialisable) in the draft."""
    if step not in STEPS[:3]:
        raise ValueError(step)
    if step == "identity":
        values = {
            **values,
            "registration_number": normalize_registration_number(values["registration_number"]),
        }
        if registration_number_taken(values["registration_number"]):
            raise Conflict(
                _l("A cooperative with this registration number is already registered."),
                field="registration_number",
            )
    data = dict(draft.data or {})
    data[step] = values
    draft.data = data  # a new dict, so the JSON column is seen as changed
    db.session.flush()


def add_document(draft: ApplicationDraft, kind: str, stored) -> list[str]:
    """Record an uploaded document (``storage.StoredDocument``) in the draft; a new statutes or
    registration certificate replaces the previous one of that kind. Returns the stored names
    no longer used (the caller deletes those files after the commit)."""
    try:
        DocumentKind(kind)
    except ValueError as exc:
        raise InvalidInput(field="kind") from exc
    documents = list(draft.documents or [])
    dropped = []
    if kind in REQUIRED_DOCUMENTS:
        dropped = [d["stored_name"] for d in documents if d["kind"] == kind]
        documents = [d for d in documents if d["kind"] != kind]
    if len(documents) >= MAX_DOCUMENTS:
        raise InvalidInput(_l("At most %(n)d documents can be sent.", n=MAX_DOCUMENTS))
    documents.append(
        {
            "kind": kind,
            "stored_name": stored.stored_name,
            "content_type": stored.content_type,
            "size_bytes": stored.size_bytes,
            "original_name": stored.original_name,
        }
    )
    draft.documents = documents
    db.session.flush()
    return dropped


def remove_document(draft: ApplicationDraft, stored_name: str) -> list[str]:
    """Forget one of the draft's documents; returns its stored name ([] if not the draft's)."""
    documents = list(draft.documents or [])
    kept = [d for d in documents if d["stored_name"] != stored_name]
    draft.documents = kept
    db.session.flush()
    return [stored_name] if len(kept) != len(documents) else []


def missing_documents(draft: ApplicationDraft) -> list[str]:
    kinds = {d["kind"] for d in draft.documents or []}
    return [kind for kind in REQUIRED_DOCUMENTS if kind not in kinds]


def step_done(draft: ApplicationDraft | None, step: str) -> bool:
    if draft is None:
        return False
    if step == "documents":
        return not missing_documents(draft)
    if step == "review":
        return False
    return step in (draft.data or {})


def first_incomplete_step(draft: ApplicationDraft | None) -> int:
    """1-based number of the first step still to fill (5 = review)."""
    for number, step in enumerate(STEPS, start=1):
        if not step_done(draft, step):
            return number
    return len(STEPS)


@dataclass(frozen=True)
class DocumentView:
    kind: str
    label: str
    original_name: str
    size_bytes: int


def draft_documents(draft: ApplicationDraft | None) -> list[DocumentView]:
    return [
        DocumentView(d["kind"], document_kind_label(d["kind"]), d["original_name"], d["size_bytes"])
        for d in (draft.documents if draft else [])
    ]


def _slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:100]


def unique_slug(*candidates: str) -> str:
    base = next((s for s in map(_slugify, candidates) if s), "cooperative")
    slug, n = base, 1
    while db.session.scalar(select(Cooperative.id).where(Cooperative.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


class EmailNotVerified(Forbidden):
    default_message = _l(
        "Please confirm your e-mail address first: open the link we sent you, then send "
        "the application. We need it to tell you our decision."
    )


def ensure_email_verified(user: User) -> None:
    """Applications are sent only from a confirmed address: every decision about the
    cooperative is e-mailed to it, and a seller must be reachable by the marketplace."""
    if not user.email_verified:
        raise EmailNotVerified()


def submit_application(user: User, draft: ApplicationDraft) -> Cooperative:
    """Turn a complete draft into a pending Cooperative whose owner member is ``user``
    (whose e-mail address must be confirmed)."""
    ensure_can_apply(user)
    ensure_email_verified(user)
    if first_incomplete_step(draft) != len(STEPS):
        raise InvalidInput(_l("Some steps of the application are not complete yet."))
    identity = draft.data["identity"]
    contact = draft.data["contact"]
    story = draft.data.get("story", {})
    number = normalize_registration_number(identity["registration_number"])
    if registration_number_taken(number):
        raise Conflict(
            _l("A cooperative with this registration number is already registered."),
            field="registration_number",
        )
    name_ar = (identity.get("name_ar") or "").strip()
    name_fr = (identity.get("name_fr") or "").strip()
    if not (name_ar or name_fr):
        raise InvalidInput(_l("Give the cooperative's name in Arabic or in French."))

    cooperative = Cooperative(
        slug=unique_slug(name_fr, f"cooperative {number}"),
        registration_number=number,
        province=identity["province"],
        commune=identity.get("commune", ""),
        founded_year=identity.get("founded_year"),
        members_count=identity.get("members_count"),
        women_members_count=identity.get("women_members_count"),
        phone=contact["phone"],
        email=contact.get("email", ""),
        rib=contact["rib"],
        status=CooperativeStatus.PENDING.value,
        status_changed_at=utcnow(),
    )
    names = {"ar": name_ar, "fr": name_fr}
    for locale in LOCALES:
        own_name = names.get(locale, "")
        text = (story.get(f"story_{locale}") or "").strip()
        if own_name or text:
            cooperative.translations.append(
                CooperativeTranslation(
                    locale=locale, name=own_name or name_fr or name_ar, story=text
                )
            )
    for doc in draft.documents:
        cooperative.documents.append(
            CooperativeDocument(
                kind=doc["kind"],
                original_name=doc["original_name"],
                stored_name=doc["stored_name"],
                content_type=doc["content_type"],
                size_bytes=doc["size_bytes"],
            )
        )
    db.session.add(cooperative)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # another application took the number meanwhile
        raise Conflict(
            _l("A cooperative with this registration number is already registered."),
            field="registration_number",
        ) from exc

    user.cooperative = cooperative
    if user.role == Role.SHOPPER.value:
        user.role = Role.MEMBER.value
    user.is_cooperative_owner = True
    db.session.delete(draft)
    db.session.flush()

    _mail_application_received(user, cooperative)
    return cooperative


def _mail_application_received(user: User, cooperative: Cooperative) -> None:
    """Tell the applicant their application arrived and every admin that one awaits review."""
    number = cooperative.registration_number
    locale = user.locale if user.locale in LOCALES else "fr"
    queue_mail(
        user.email,
        locale,
        "cooperative_application_received",
        _l("We received your cooperative's application"),
        member=user,
        cooperative_name=display_name(cooperative, locale),
        status_url=external_url("cooperatives.application", locale),
    )
    admins = db.session.scalars(
        select(User).where(User.role == Role.ADMIN.value, User.active.is_(True))
    )
    for admin in admins:
        admin_locale = admin.locale if admin.locale in LOCALES else "fr"
        queue_mail(
            admin.email,
            admin_locale,
            "cooperative_application_admin",
            _l("New cooperative application to review"),
            admin=admin,
            cooperative_name=display_name(cooperative, admin_locale),
            registration_number=number,
            application_url=external_url(
                "admin.application", admin_locale, cooperative_id=cooperative.id
            ),
        )


MAX_RESUBMIT_NOTE_LENGTH = 2000


def resubmit_application(user: User, note: str, documents: list) -> Cooperative:
    """The owner of a rejected cooperative sends its application again, with a note saying
    what was corrected and optionally new documents ((kind, storage.StoredDocument) pairs):
    rejected → pending through the status machine (audit log "cooperative.resubmitted"), and
    the admins are told a new application awaits review. Flushes, never commits."""
    cooperative = user.cooperative
    if cooperative is None or not user.is_cooperative_owner:
        raise Forbidden(_l("Only the person who applied for the cooperative can send it again."))
    ensure_email_verified(user)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            _l("Please tell us what you corrected or sent since the decision."), field="note"
        )
    if len(note) > MAX_RESUBMIT_NOTE_LENGTH:
        raise InvalidInput(
            _l("The note may be at most %(n)d characters long.", n=MAX_RESUBMIT_NOTE_LENGTH),
            field="note",
        )
    for kind, stored in documents:
        try:
            DocumentKind(kind)
        except ValueError as exc:
            raise InvalidInput(field=kind) from exc
        cooperative.documents.append(
            CooperativeDocument(
                kind=kind,
                original_name=stored.original_name,
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size_bytes=stored.size_bytes,
            )
        )
    change_status(cooperative, S.PENDING, user, reason=note)
    _mail_application_received(user, cooperative)
    return cooperative


def create_application(
    user: User,
    *,
    identity: dict[str, Any],
    contact: dict[str, Any],
    story: dict[str, Any],
    documents: list,
) -> Cooperative:
    """Submit a whole application in one call (demo data, scripts): same rules as the form.

    ``documents`` are (kind, storage.StoredDocument) pairs.
    """
    draft = get_or_create_draft(user)
    save_step(draft, "identity", identity)
    save_step(draft, "contact", contact)
    save_step(draft, "story", story)
    for kind, stored in documents:
        add_document(draft, kind, stored)
    return submit_application(user, draft)


def document_for(user: User, document_id: int) -> CooperativeDocument | None:
    """The document if ``user`` may download it (an admin or a member of its cooperative)."""
    document = db.session.get(CooperativeDocument, document_id)
    if document is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_admin or (
        user.cooperative_id is not None and user.cooperative_id == document.cooperative_id
    ):
        return document
    return None


# --- the cooperative's profile and shipping settings (seller dashboard) --------------------

NAME_MAX = 200
STORY_MAX = 5_000
MAX_SHIPPING_CENTS = 10_000_000  # 100 000 MAD
MAX_FREE_SHIPPING_THRESHOLD_CENTS = 100_000_000  # 1 000 000 MAD, the highest product price


def ensure_can_sell(cooperative: Cooperative) -> None:
    """Only a verified cooperative changes its products, profile and shipping settings."""
    if not cooperative.is_verified:
        raise Forbidden(_l("Only verified cooperatives can create or change products."))


def _clean_line(value: str | None) -> str:
    return " ".join((value or "").split())


@dataclass
class ProfileInput:
    names: dict[str, str]
    stories: dict[str, str]
    logo: object | None = None  # an uploaded file, or None to keep the current one
    cover: object | None = None
    remove_logo: bool = False
    remove_cover: bool = False


def update_cooperative_profile(cooperative: Cooperative, data: ProfileInput) -> Cooperative:
    ensure_can_sell(cooperative)
    names = {code: _clean_line(data.names.get(code)) for code in LOCALES}
    stories = {code: (data.stories.get(code) or "").strip() for code in LOCALES}
    if not any(names.values()):
        raise InvalidInput(_l("Give the cooperative's name in at least one language."))
    for code in LOCALES:
        if len(names[code]) > NAME_MAX:
            raise InvalidInput(_l("A name may have at most %(n)d characters.", n=NAME_MAX))
        if len(stories[code]) > STORY_MAX:
            raise InvalidInput(_l("A story may have at most %(n)d characters.", n=STORY_MAX))
        if stories[code] and not names[code]:
            raise InvalidInput(_l("A story needs the cooperative's name in the same language."))
    existing = {t.locale: t for t in cooperative.translations}
    old_names = {code: t.name for code, t in existing.items()}
    for code in LOCALES:
        row = existing.get(code)
        if not names[code]:
            if row is not None:
                cooperative.translations.remove(row)
            continue
        if row is None:
            cooperative.translations.append(
                CooperativeTranslation(locale=code, name=names[code], story=stories[code])
            )
        else:
            row.name = names[code]
            row.story = stories[code]
    if data.logo is not None or data.cover is not None:
        if data.logo is not None:
            cooperative.logo_path = save_image(data.logo, "logo").name
        if data.cover is not None:
            cooperative.cover_path = save_image(data.cover, "cover").name
    if data.remove_logo and data.logo is None:
        cooperative.logo_path = None
    if data.remove_cover and data.cover is None:
        cooperative.cover_path = None
    db.session.flush()
    if {c: n for c, n in names.items() if n} != old_names:
        signals.cooperative_renamed.send(cooperative)
    return cooperative


@dataclass
class ShippingInput:
    shipping_fee_cents: int
    free_shipping_threshold_cents: int | None
    accepts_cash_on_delivery: bool
    ships_abroad: bool


def update_shipping_settings(cooperative: Cooperative, data: ShippingInput) -> Cooperative:
    ensure_can_sell(cooperative)
    if not 0 <= data.shipping_fee_cents <= MAX_SHIPPING_CENTS:
        raise InvalidInput(_l("The shipping fee must be between 0 and 100,000 MAD."))
    threshold = data.free_shipping_threshold_cents
    if threshold is not None and not 0 <= threshold <= MAX_FREE_SHIPPING_THRESHOLD_CENTS:
        raise InvalidInput(_l("The free-shipping threshold must be between 0 and 1,000,000 MAD."))
    cooperative.shipping_fee_cents = data.shipping_fee_cents
    cooperative.free_shipping_threshold_cents = threshold
    cooperative.accepts_cash_on_delivery = data.accepts_cash_on_delivery
    cooperative.ships_abroad = data.ships_abroad
    db.session.flush()
    return cooperative


# --- the public pages' lookups ------------------------------------------------------------


def visible_cooperatives_filter():
    """The cooperatives the public sees, the verified ones (usable in any query on
    Cooperative; the catalogue's listing applies the same rule)."""
    return Cooperative.status == CooperativeStatus.VERIFIED.value


def visible_cooperatives(province: str | None = None) -> list[Cooperative]:
    """The verified cooperatives (of one province), with their texts."""
    statement = (
        select(Cooperative)
        .where(visible_cooperatives_filter())
        .options(selectinload(Cooperative.translations))
    )
    if province:
        statement = statement.where(Cooperative.province == province)
    return list(db.session.scalars(statement))


def visible_cooperative_by_slug(slug: str) -> Cooperative | None:
    return db.session.scalar(
        select(Cooperative).where(Cooperative.slug == slug, visible_cooperatives_filter())
    )
