"""Routes of the `notify` domain: a user's notification settings (mobile number verified by
a code, channels per kind of notice), the unsubscribe link, the operator's page of text
messages, and the provider's signed callbacks (delivery status, STOP replies)."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.audit import record_audit
from marketplace.auth.decorators import admin_required
from marketplace.auth.services import external_url
from marketplace.errors import DomainError
from marketplace.extensions import csrf, limiter
from marketplace.http import page_arg, refuse
from marketplace.notify import bp, root_bp, services
from marketplace.notify.forms import ActionForm, CodeForm, PhoneForm, preferences_form
from marketplace.notify.models import Channel
from marketplace.notify.providers import provider_for

log = logging.getLogger(__name__)
PAGE_SIZE = 50


def _page(phone_form=None, code_form=None, prefs=None, status=200):
    phone = services.phone_of(current_user)
    kinds = services.kinds_for(current_user)
    verified = bool(phone and phone.verified)
    pending = services.pending_code(current_user)
    if prefs is None:
        table = dict(services.preference_table(current_user))
        prefs = preferences_form(
            kinds,
            verified,
            data={f"kind_{kind.value}": sorted(table[kind]) for kind in kinds},
            formdata=None,
        )
    return (
        render_template(
            "notify/preferences.html",
            phone=phone,
            phone_display=services.display_number(phone.e164) if phone else "",
            pending=pending,
            pending_display=services.display_number(pending.e164) if pending else "",
            phone_form=phone_form or PhoneForm(formdata=None),
            code_form=code_form or CodeForm(formdata=None),
            prefs=prefs,
            kinds=kinds,
            remove_form=ActionForm(formdata=None),
            minutes=services.CODE_MINUTES,
        ),
        status,
    )


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    if request.method == "GET":
        return _page()
    phone = services.phone_of(current_user)
    kinds = services.kinds_for(current_user)
    form = preferences_form(kinds, bool(phone and phone.verified))
    if not form.validate_on_submit():
        return _page(prefs=form, status=400)
    chosen = {kind.value: set(form[f"kind_{kind.value}"].data or ()) for kind in kinds}
    try:
        services.save_preferences(current_user, chosen)
    except DomainError as error:
        refuse(error)
        return _page(prefs=form, status=error.status_code)
    flash(_("Your notification settings are saved."), "success")
    return redirect(url_for("notify.preferences"), code=303)


def _code_limit() -> str:
    return current_app.config.get("NOTIFY_CODE_RATE_LIMIT", "10 per hour")


@bp.post("/account/notifications/phone")
@login_required
@limiter.limit(_code_limit)
def phone_start():
    form = PhoneForm()
    if not form.validate_on_submit():
        return _page(phone_form=form, status=400)
    try:
        services.start_verification(current_user, form.number.data, form.channel.data)
    except DomainError as error:
        refuse(error, form, show=False)
        form.number.errors = [*form.number.errors, str(error.message)]
        return _page(phone_form=form, status=error.status_code)
    flash(_("We sent you a code. Type it below to confirm your number."), "success")
    return redirect(url_for("notify.preferences", _anchor="code"), code=303)


@bp.post("/account/notifications/phone/confirm")
@login_required
def phone_confirm():
    form = CodeForm()
    if not form.validate_on_submit():
        return _page(code_form=form, status=400)
    try:
        services.confirm_code(current_user, form.code.data)
    except DomainError as error:
        # A wrong guess counts even though the answer is an error: keep that change.
        from marketplace import transaction

        transaction.keep_changes()
        form.code.errors = [*form.code.errors, str(error.message)]
        return _page(code_form=form, status=error.status_code)
    flash(_("Your mobile number is confirmed."), "success")
    return redirect(url_for("notify.preferences"), code=303)


@bp.post("/account/notifications/phone/remove")
@login_required
def phone_remove():
    if not ActionForm().validate_on_submit():
        abort(400)
    services.remove_phone(current_user)
    flash(_("Your mobile number is removed; you get e-mails only."), "success")
    return redirect(url_for("notify.preferences"), code=303)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """The link in a message: confirm, then that channel stops for that kind of notice
    (a GET changes nothing: link checkers and previews open it too)."""
    try:
        target = services.read_unsubscribe(token)
    except DomainError:
        abort(404)
    form = ActionForm()
    done = False
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.unsubscribe(token)
        done = True
    return render_template(
        "notify/unsubscribe.html",
        form=form,
        done=done,
        kind_label=services.KIND_LABELS[target.kind],
        channel_label=services.CHANNEL_LABELS[Channel(target.channel)],
    )


# --- the operator ---------------------------------------------------------------------------


@bp.get("/admin/messages")
@admin_required
def admin_messages():
    """SMS and WhatsApp messages given up or reported failed by the provider, or waiting to
    be (re)tried; each failed one can be sent again."""
    failed = request.args.get("show") != "waiting"
    page = page_arg()
    rows, pages = services.message_page(failed, page, PAGE_SIZE)
    return render_template(
        "notify/admin_messages.html",
        rows=rows,
        failed=failed,
        counts=services.message_counts(),
        page=page,
        pages=pages,
        form=ActionForm(formdata=None),
        display_number=services.display_number,
    )


@bp.post("/admin/messages/<int:message_id>/send-again")
@admin_required
def admin_send_again(message_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    row = services.send_again(message_id)
    if row is None:
        flash(_("This message is not waiting for a decision any more."), "info")
    else:
        record_audit(
            current_user,
            "message.send_again",
            target_type="message",
            target_id=row.id,
            target_label=row.recipient,
            reason=row.last_error or "",
        )
        flash(_("The message will be sent again in a moment."), "success")
    return redirect(url_for("notify.admin_messages"), code=303)


# --- the provider's callbacks ---------------------------------------------------------------


def _signed(endpoint: str) -> dict[str, str]:
    """The callback's form fields once its signature is checked against the address we
    gave the provider (on PUBLIC_BASE_URL); 403 otherwise."""
    url = external_url(endpoint)
    params = {key: request.form.get(key, "") for key in request.form}
    signature = request.headers.get("X-Twilio-Signature", "")
    for channel in (Channel.SMS, Channel.WHATSAPP):
        if provider_for(channel).check_signature(url, params, signature):
            return params
    log.warning("%s: refused a callback with a bad signature", endpoint)
    abort(403)


@root_bp.post("/notify/twilio/status")
@csrf.exempt
def twilio_status():
    params = _signed("notify_root.twilio_status")
    services.record_status(
        params.get("MessageSid", ""), params.get("MessageStatus", ""), params.get("ErrorCode")
    )
    return "", 204


@root_bp.post("/notify/twilio/inbound")
@csrf.exempt
def twilio_inbound():
    params = _signed("notify_root.twilio_inbound")
    services.record_reply(params.get("From", ""), params.get("Body", ""))
    # Twilio answers STOP itself; we send nothing back.
    return "<Response/>", 200, {"Content-Type": "text/xml; charset=utf-8"}
