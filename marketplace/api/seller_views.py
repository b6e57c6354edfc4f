"""The seller dashboard's page of personal access tokens for the API: make one (shown
once), see them, revoke one. Members of a verified cooperative only; another cooperative's
token is a 404."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.api import bp, tokens
from marketplace.api.forms import RevokeForm, TokenForm
from marketplace.auth.decorators import verified_cooperative_required
from marketplace.errors import DomainError
from marketplace.http import refuse


def _render(form: TokenForm, *, new_secret: str | None = None, status: int = 200):
    response = (
        render_template(
            "api/tokens.html",
            form=form,
            revoke_form=RevokeForm(formdata=None),
            tokens=tokens.tokens_of(current_user.cooperative_id),
            scope_labels={k.value: v for k, v in tokens.SCOPE_LABELS.items()},
            new_secret=new_secret,
        ),
        status,
        {"Cache-Control": "no-store"},
    )
    return response


@bp.get("/dashboard/api-tokens")
@verified_cooperative_required
def tokens_page():
    return _render(TokenForm(formdata=None))


@bp.post("/dashboard/api-tokens")
@verified_cooperative_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    try:
        made = tokens.create_token(
            current_user.cooperative_id,
            current_user._get_current_object(),
            form.name.data,
            form.scopes.data,
            form.expires_in_days(),
        )
    except DomainError as error:
        refuse(error, show=False)
        form.form_errors.append(error.message)
        return _render(form, status=error.status_code)
    # Shown in this answer only (never stored, never in the session or a redirect).
    return _render(TokenForm(formdata=None), new_secret=made.secret)


@bp.post("/dashboard/api-tokens/<int(max=2147483647):token_id>/revoke")
@verified_cooperative_required
def revoke_token(token_id: int):
    token = tokens.revoke_token(
        current_user.cooperative_id, token_id, current_user._get_current_object()
    )
    flash(_("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for(".tokens_page"), code=303)
