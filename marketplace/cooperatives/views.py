"""Public and applicant pages of cooperatives: the list of verified cooperatives and each
one's page; the cooperative application (five steps), its status page and document downloads.
(The seller dashboard's pages: seller_views.py.)"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace import signals, storage, transaction
from marketplace.cooperatives import bp, services
from marketplace.cooperatives.forms import (
    ContactForm,
    DocumentsForm,
    IdentityForm,
    ResubmitForm,
    ReviewForm,
    StoryForm,
)
from marketplace.cooperatives.models import (
    CooperativeStatus,
    Province,
    document_kind_label,
    province_label,
    status_label,
)
from marketplace.cooperatives.validators import format_phone, mask_rib
from marketplace.errors import Conflict, DomainError, NotFound
from marketplace.extensions import db
from marketplace.http import download_name, refuse
from marketplace.i18n import current_locale, pick


@bp.get("/cooperatives")
def index():
    """Verified cooperatives, grouped by province (optionally one province)."""
    locale = current_locale()
    province = request.args.get("province", "")
    provinces = [p.value for p in Province]
    if province and province not in provinces:
        raise NotFound(_l("This province is not part of the Drâa-Tafilalet region."))
    cooperatives = services.visible_cooperatives(province)
    # Their products are shown by the storefront (layers above): it answers with the counts.
    counts = {}
    for _receiver, answer in signals.cooperative_product_counts.send(None, locale=locale):
        counts.update(answer)
    groups = []
    for code in provinces:
        members = [c for c in cooperatives if c.province == code]
        members.sort(key=lambda c: (pick(c.translations, locale).name or c.slug).lower())
        if members:
            groups.append((code, province_label(code), members))
    return render_template(
        "cooperatives/index.html",
        groups=groups,
        counts=counts,
        province=province,
        total=len(cooperatives),
    )


@bp.get("/cooperatives/<slug>")
def detail(slug: str):
    cooperative = services.visible_cooperative_by_slug(slug)
    if cooperative is None:
        raise NotFound(_l("This cooperative does not exist or is not listed."))
    # The page lists its products with the storefront's filters: the storefront (layers
    # above) renders it.
    for _receiver, response in signals.cooperative_listing.send(
        cooperative, template="cooperatives/detail.html"
    ):
        if response is not None:
            return response
    raise RuntimeError("no receiver of cooperative-listing (see marketplace.connect_receivers)")


# --- the cooperative application -------------------------------------------------------

STEP_TITLES = {
    1: "identity",
    2: "contact",
    3: "story",
    4: "documents",
    5: "review",
}
STEP_FORMS = {1: IdentityForm, 2: ContactForm, 3: StoryForm}


def _helpers() -> dict:
    return {
        "province_label": province_label,
        "status_label": status_label,
        "document_kind_label": document_kind_label,
        "mask_rib": mask_rib,
        "format_phone": format_phone,
        "reason_label": services.reason_label,
        "pick": pick,
        "endpoint_exists": lambda name: name in current_app.view_functions,
    }


def _render_step(step: int, form, draft, status: int = 200):
    return (
        render_template(
            f"cooperatives/apply_{STEP_TITLES[step]}.html",
            form=form,
            step=step,
            steps=STEP_TITLES,
            reachable=services.first_incomplete_step(draft),
            draft=draft,
            data=(draft.data if draft else {}) or {},
            documents=services.draft_documents(draft),
            missing=[document_kind_label(k) for k in services.missing_documents(draft)]
            if draft
            else [],
            **_helpers(),
        ),
        status,
    )


@bp.route("/apply", methods=["GET"])
@bp.route("/apply/step/<int:step>", methods=["GET", "POST"])
@login_required
def apply(step: int | None = None):
    if current_user.cooperative_id is not None:
        flash(_("You already belong to a cooperative: here is where its application stands."))
        return redirect(url_for("cooperatives.application"))
    services.ensure_can_apply(current_user)
    draft = services.get_draft(current_user)
    reachable = services.first_incomplete_step(draft)
    if step is None or step not in STEP_TITLES or step > reachable:
        if step is not None and step not in STEP_TITLES:
            abort(404)
        return redirect(url_for("cooperatives.apply", step=reachable))
    if step in STEP_FORMS:
        return _form_step(step, draft)
    if step == 4:
        return _documents_step(draft)
    return _review_step(draft)


def _form_step(step: int, draft):
    name = STEP_TITLES[step]
    saved = ((draft.data if draft else {}) or {}).get(name, {})
    form_class = STEP_FORMS[step]
    kwargs = {"saved_rib": saved.get("rib", "")} if form_class is ContactForm else {}
    if form_class is ContactForm:
        # The RIB is never sent back to the browser: the field stays empty to keep it.
        saved = {k: v for k, v in saved.items() if k != "rib"}
    form = form_class(data=saved, **kwargs)
    if form.validate_on_submit():
        draft = draft or services.get_or_create_draft(current_user)
        try:
            services.save_step(draft, name, form.values())
        except DomainError as error:
            refuse(error, form)
            return _render_step(step, form, draft, 400)
        return redirect(url_for("cooperatives.apply", step=step + 1))
    return _render_step(step, form, draft, 400 if form.errors else 200)


def _documents_step(draft):
    form = DocumentsForm()
    if not form.validate_on_submit():
        return _render_step(4, form, draft, 400 if form.errors else 200)
    draft = draft or services.get_or_create_draft(current_user)
    failed = False
    unused: list[str] = []
    if form.remove.data:
        unused += services.remove_document(draft, form.remove.data)
    for kind in DocumentsForm.FILE_FIELDS:
        field = getattr(form, kind)
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            continue
        try:
            stored = storage.save_document(upload)
            try:
                unused += services.add_document(draft, kind, stored)
            except DomainError:
                storage.delete_document(stored.stored_name)
                raise
        except DomainError as error:
            field.errors = [*field.errors, error.message]
            failed = True
    for stored_name in unused:
        storage.delete_after_commit(storage.delete_document, stored_name)
    if failed:
        transaction.keep_changes()  # the documents that were accepted stay saved
        return _render_step(4, form, draft, 400)
    if form.submit.data:
        missing = services.missing_documents(draft)
        if missing:
            flash(
                _(
                    "Still missing: %(documents)s.",
                    documents=", ".join(document_kind_label(k) for k in missing),
                ),
                "error",
            )
            return redirect(url_for("cooperatives.apply", step=4))
        return redirect(url_for("cooperatives.apply", step=5))
    return redirect(url_for("cooperatives.apply", step=4))


def _review_step(draft):
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.submit_application(current_user, draft)
        except services.EmailNotVerified as error:
            refuse(error)
            return _render_step(5, form, draft, 403)
        except Conflict as error:
            refuse(error)
            target = 1 if error.details.get("field") == "registration_number" else 5
            return redirect(url_for("cooperatives.apply", step=target))
        flash(
            _("Thank you! Your application was sent. We will e-mail you as soon as it is reviewed.")
        )
        return redirect(url_for("cooperatives.application"))
    return _render_step(5, form, draft, 400 if form.errors else 200)


@bp.get("/apply/status")
@login_required
def application():
    cooperative = current_user.cooperative
    if cooperative is None:
        return redirect(url_for("cooperatives.apply"))
    return _render_status(cooperative, ResubmitForm(formdata=None))


def _render_status(cooperative, resubmit_form, status: int = 200):
    can_resubmit = (
        cooperative.status == CooperativeStatus.REJECTED.value and current_user.is_cooperative_owner
    )
    return (
        render_template(
            "cooperatives/application_status.html",
            cooperative=cooperative,
            picked=pick(cooperative.translations),
            statuses=CooperativeStatus,
            resubmit_form=resubmit_form if can_resubmit else None,
            **_helpers(),
        ),
        status,
    )


@bp.post("/apply/resubmit")
@login_required
def resubmit():
    """The owner of a rejected cooperative corrects its application and sends it again."""
    cooperative = current_user.cooperative
    if cooperative is None:
        return redirect(url_for("cooperatives.apply"))
    form = ResubmitForm()
    if cooperative.status != CooperativeStatus.REJECTED.value:
        return redirect(url_for("cooperatives.application"))
    if not form.validate_on_submit():
        return _render_status(cooperative, form, 400)
    stored_documents: list = []
    failed = False
    for kind in ResubmitForm.FILE_FIELDS:
        field = getattr(form, kind)
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            continue
        try:
            stored_documents.append((kind, storage.save_document(upload)))
        except DomainError as error:
            field.errors = [*field.errors, error.message]
            failed = True
    error = None
    if not failed:
        try:
            services.resubmit_application(current_user, form.note.data, stored_documents)
        except DomainError as caught:
            error = caught
            refuse(error, form)
    if failed or error is not None:
        transaction.fail()
        for _kind, stored in stored_documents:
            storage.delete_document(stored.stored_name)
        cooperative = db.session.get(type(cooperative), cooperative.id)
        return _render_status(cooperative, form, error.status_code if error else 400)
    flash(_("Thank you! Your application was sent again. We will e-mail you our decision."))
    return redirect(url_for("cooperatives.application"))


@bp.get("/dashboard/documents/<int:doc_id>")
@login_required
def document(doc_id: int):
    found = services.document_for(current_user, doc_id)
    if found is None:
        abort(404)
    response = send_file(
        storage.open_document(found.stored_name),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=download_name(found.original_name, f"document-{doc_id}"),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
