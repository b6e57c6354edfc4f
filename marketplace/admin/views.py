"""Routes of the `admin` domain: the verification queue, an application, the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace import mail
from marketplace.admin import bp
from marketplace.admin.forms import ACTIONS, ActionForm, DecisionForm, reason_choices
from marketplace.audit import AuditLogEntry, audit_page, record_audit, recorded_actions
from marketplace.auth.decorators import admin_required
from marketplace.auth.models import User
from marketplace.cooperatives import services as cooperative_services
from marketplace.cooperatives.models import (
    Cooperative,
    CooperativeStatus,
    Province,
    document_kind_label,
    province_label,
    status_label,
)
from marketplace.cooperatives.validators import format_phone, mask_rib
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.http import page_arg, refuse
from marketplace.i18n import pick

PAGE_SIZE = 50
ACTION_MESSAGES = {
    "approve": _l("The cooperative is verified; its members have been told by e-mail."),
    "reject": _l("The application is rejected; the cooperative has been told by e-mail."),
    "suspend": _l("The cooperative is suspended; its products are hidden."),
    "reinstate": _l("The cooperative is verified again; its products are visible."),
}


def _helpers() -> dict:
    return {
        "province_label": province_label,
        "status_label": status_label,
        "document_kind_label": document_kind_label,
        "mask_rib": mask_rib,
        "format_phone": format_phone,
        "reason_label": cooperative_services.reason_label,
        "pick": pick,
    }


@bp.get("/admin/")
@admin_required
def index():
    """Applications, oldest first; by default the pending ones."""
    status = request.args.get("status", CooperativeStatus.PENDING.value)
    province = request.args.get("province", "")
    valid_statuses = {s.value for s in CooperativeStatus}
    if status not in valid_statuses and status != "all":
        status = CooperativeStatus.PENDING.value
    if province not in {p.value for p in Province}:
        province = ""
    query = select(Cooperative)
    if status != "all":
        query = query.where(Cooperative.status == status)
    if province:
        query = query.where(Cooperative.province == province)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = page_arg()
    cooperatives = db.session.scalars(
        query.options(selectinload(Cooperative.documents))
        .order_by(Cooperative.created_at.asc(), Cooperative.id.asc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    counts = dict(
        db.session.execute(
            select(Cooperative.status, func.count()).group_by(Cooperative.status)
        ).all()
    )
    return render_template(
        "admin/index.html",
        cooperatives=cooperatives,
        status=status,
        province=province,
        statuses=list(CooperativeStatus),
        provinces=list(Province),
        counts=counts,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        **_helpers(),
    )


def _reasons_for(action: str) -> dict:
    if action == "reject":
        return cooperative_services.REJECTION_REASONS
    if action == "suspend":
        return cooperative_services.SUSPENSION_REASONS
    return {}


def _available_actions(cooperative: Cooperative) -> list[str]:
    allowed = cooperative_services.allowed_transitions(cooperative.status)
    actions = []
    for action, target in ACTIONS.items():
        if target not in allowed:
            continue
        if action == "approve" and cooperative.status != CooperativeStatus.PENDING:
            continue
        if action == "reinstate" and cooperative.status != CooperativeStatus.SUSPENDED:
            continue
        actions.append(action)
    return actions


@bp.route("/admin/applications/<int:cooperative_id>", methods=["GET", "POST"])
@admin_required
def application(cooperative_id: int):
    cooperative = db.session.get(Cooperative, cooperative_id)
    if cooperative is None:
        abort(404)
    posted_action = None
    status = 200
    forms = {}
    if request.method == "POST":
        form = DecisionForm()
        posted_action = form.action.data if form.action.data in ACTIONS else None
        form.reason_code.choices = reason_choices(_reasons_for(posted_action or ""))
        if form.validate_on_submit() and posted_action:
            try:
                cooperative_services.change_status(
                    cooperative,
                    ACTIONS[posted_action],
                    current_user,
                    reason=form.reason.data or "",
                    reason_code=form.reason_code.data or "",
                )
            except DomainError as error:
                refuse(error, form)
                cooperative = db.session.get(Cooperative, cooperative_id)
                status = error.status_code
            else:
                flash(str(ACTION_MESSAGES[posted_action]))
                return redirect(url_for("admin.application", cooperative_id=cooperative_id))
        else:
            status = 400
            if not form.errors.get("reason") and not form.errors.get("reason_code"):
                flash(_("This action could not be done. Please try again."), "error")
        if posted_action:
            forms[posted_action] = form
    for action in _available_actions(cooperative):
        if action not in forms:
            forms[action] = DecisionForm(
                formdata=None, data={"action": action}, reasons=_reasons_for(action)
            )
    members = db.session.scalars(
        select(User).where(User.cooperative_id == cooperative.id).order_by(User.id)
    ).all()
    history = db.session.scalars(
        select(AuditLogEntry)
        .where(AuditLogEntry.target_type == "cooperative")
        .where(AuditLogEntry.target_id == cooperative.id)
        .order_by(AuditLogEntry.created_at.desc(), AuditLogEntry.id.desc())
    ).all()
    by_locale = {t.locale: t for t in cooperative.translations}
    return (
        render_template(
            "admin/application.html",
            cooperative=cooperative,
            by_locale=by_locale,
            picked=pick(cooperative.translations),
            forms=forms,
            available=_available_actions(cooperative),
            members=members,
            history=history,
            **_helpers(),
        ),
        status,
    )


@bp.get("/admin/audit")
@admin_required
def audit_log():
    """The append-only audit log, newest first (read only: nothing here edits it)."""
    action = request.args.get("action", "")
    actions = recorded_actions()
    if action not in actions:
        action = ""
    page = page_arg()
    listed = audit_page(action, page, PAGE_SIZE)
    return render_template(
        "admin/audit_log.html",
        entries=listed.entries,
        actions=actions,
        action=action,
        page=page,
        pages=listed.pages,
        more_pages=listed.more,
        **_helpers(),
    )


@bp.get("/admin/mail")
@admin_required
def mail_queue():
    """E-mails the mail server has not accepted yet, or that were given up after repeated
    failures (MAIL_DELIVERY=queue), with the last error; each can be sent again."""
    given_up = request.args.get("show") != "waiting"
    page = page_arg()
    rows, pages = mail.queued_page(given_up, page, PAGE_SIZE)
    return render_template(
        "admin/mail_queue.html",
        rows=rows,
        given_up=given_up,
        counts=mail.queue_counts(),
        page=page,
        pages=pages,
        form=ActionForm(),
    )


@bp.post("/admin/mail/<int:mail_id>/send-again")
@admin_required
def mail_send_again(mail_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    row = mail.send_again(mail_id)
    if row is None:
        flash(_("This e-mail is no longer in the queue: it has been sent."), "info")
    else:
        record_audit(
            current_user,
            "mail.send_again",
            target_type="mail",
            target_id=row.id,
            target_label=row.recipient,
            reason=row.last_error or "",
        )
        flash(_("The e-mail will be sent again in a moment."), "success")
    return redirect(url_for("admin.mail_queue"), code=303)
