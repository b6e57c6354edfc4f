"""Operator pages of the impact domain: the observer accounts."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.auth.decorators import admin_required
from marketplace.errors import DomainError
from marketplace.http import refuse
from marketplace.impact import bp, observers
from marketplace.impact.forms import ObserverForm


@bp.route("/admin/observers", methods=["GET", "POST"])
@admin_required
def admin_observers():
    form = ObserverForm()
    if form.validate_on_submit():
        try:
            _user, created = observers.create_observer(
                form.email.data, name=form.name.data, locale=form.locale.data, actor=current_user
            )
        except DomainError as error:
            refuse(error)
        else:
            if created:
                flash(_("Observer account created; an e-mail asks them to choose a password."))
            else:
                flash(_("This account is now an observer account."))
            return redirect(url_for("impact.admin_observers"))
    return render_template(
        "impact/admin_observers.html", form=form, observers=observers.observers()
    )
