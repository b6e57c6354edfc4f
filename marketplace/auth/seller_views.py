"""The cooperative's members pages (seller dashboard): its members and pending invitations,
inviting someone (the owner only), cancelling an invitation, removing a member. Accepting an
invitation is a public page (views.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth import bp, services
from marketplace.auth.decorators import cooperative_member_required
from marketplace.auth.forms import ConfirmForm, InviteMemberForm
from marketplace.errors import DomainError
from marketplace.http import refuse
from marketplace.i18n import current_locale


@bp.route("/dashboard/members", methods=["GET", "POST"])
@cooperative_member_required
def invite_member():
    user = current_user._get_current_object()
    form = InviteMemberForm() if user.is_cooperative_owner else None
    if request.method == "GET" and form is not None:
        form.locale.data = current_locale()
    if request.method == "POST":
        if form is None:
            return render_template(
                "errors/error.html",
                status=403,
                title=_("Access denied"),
                message=_("Only the owner of the cooperative can invite members."),
            ), 403
        if form.validate_on_submit():
            try:
                services.invite_member(user, form.email.data, form.locale.data)
            except DomainError as error:
                refuse(error, form)
            else:
                flash(_("The invitation was sent to %(email)s.", email=form.email.data), "success")
                return redirect(url_for("auth.invite_member"))
    return render_template(
        "auth/members.html",
        form=form,
        members=services.cooperative_members(user.cooperative_id),
        invitations=services.pending_invitations(user.cooperative_id),
    ), 400 if form is not None and form.errors else 200


@bp.post("/dashboard/members/invitations/<int:invitation_id>/cancel")
@cooperative_member_required
def cancel_invitation(invitation_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        services.cancel_invitation(current_user._get_current_object(), invitation_id)
        flash(_("The invitation is cancelled."), "info")
    return redirect(url_for("auth.invite_member"))


@bp.post("/dashboard/members/<int:user_id>/remove")
@cooperative_member_required
def remove_member(user_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            member = services.remove_member(current_user._get_current_object(), user_id)
        except DomainError as error:
            if error.status_code != 400:
                raise
            refuse(error)
        else:
            flash(_("%(name)s is no longer a member of the cooperative.", name=member.name), "info")
    return redirect(url_for("auth.invite_member"))
