"""The seller's variant pages (issue #15), on the seller dashboard: add, edit, reorder and
stop offering a product's variants, set each one's stock from the products list, and change
prices and stock from a spreadsheet (CSV export; import previewed, then applied at once).

Everything is scoped to ``current_user.cooperative_id``: another cooperative's product or
variant id is a 404. The pages are rendered with the dashboard's layout
(cooperatives.seller_views.render_dashboard); the services are catalogue.variants and
catalogue.variant_csv."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from marketplace.auth.decorators import verified_cooperative_required
from marketplace.catalogue import bp, variant_csv, variants
from marketplace.catalogue import services as catalogue
from marketplace.catalogue.seller_forms import (
    VariantActionForm,
    VariantForm,
    VariantsApplyForm,
    VariantsImportForm,
)
from marketplace.cooperatives.forms import StockForm
from marketplace.errors import DomainError
from marketplace.http import refuse
from marketplace.i18n import current_lang, pick


def render_dashboard(template: str, http_status: int = 200, **context):
    # Imported here: cooperatives.seller_views imports the catalogue's services, so the
    # catalogue package (this module is one of its views) is still loading when it does.
    from marketplace.cooperatives.seller_views import render_dashboard as render

    return render(template, http_status, **context)


def _own_product(product_id: int):
    try:
        return catalogue.get_cooperative_product(current_user.cooperative_id, product_id)
    except DomainError:
        abort(404)


def _own_variant(variant_id: int):
    try:
        return variants.get_cooperative_variant(current_user.cooperative_id, variant_id)
    except DomainError:
        abort(404)


def _variant_name(variant) -> str:
    return variants.with_option(pick(variant.product.translations).name, variant)


def _variants_url(product_id: int) -> str:
    return url_for("cooperatives.product_edit", product_id=product_id) + "#variants"


def _attach_variant_error(form: VariantForm, error: DomainError) -> None:
    field_name = error.details.get("field")
    if field_name == "labels":
        field_name = f"label_{current_lang()}"
    target = getattr(form, field_name, None) if field_name else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)
    if field_name == "stock":
        # Saving again means "yes, this figure": compare with the stock as it is now.
        form.stock_was.data = error.details.get("current")


def _render_variant_form(form: VariantForm, product, variant=None, status: int = 200):
    return render_dashboard(
        "cooperatives/variant_form.html",
        status,
        form=form,
        product=product,
        variant=variant,
        picked=pick(product.translations),
        option=variants.option_label(variant) if variant is not None else None,
    )


@bp.route("/dashboard/products/<int:product_id>/variants/new", methods=["GET", "POST"])
@verified_cooperative_required
def variant_new(product_id: int):
    product = _own_product(product_id)
    if request.method == "GET":
        form = VariantForm(formdata=None, data=VariantForm.data_for_new(product))
        return _render_variant_form(form, product)
    form = VariantForm()
    if form.validate_on_submit():
        try:
            variant = variants.add_variant(product, form.to_input(), actor=current_user)
        except DomainError as error:
            refuse(error, show=False)
            _attach_variant_error(form, error)
            product = _own_product(product_id)
        else:
            flash(_("The variant “%(name)s” was added.", name=_variant_name(variant)), "success")
            return redirect(_variants_url(product.id))
    return _render_variant_form(form, product, status=400)


@bp.route("/dashboard/variants/<int:variant_id>/edit", methods=["GET", "POST"])
@verified_cooperative_required
def variant_edit(variant_id: int):
    variant = _own_variant(variant_id)
    if request.method == "GET":
        form = VariantForm(formdata=None, data=VariantForm.data_from_variant(variant))
        return _render_variant_form(form, variant.product, variant)
    form = VariantForm()
    if form.validate_on_submit():
        try:
            variants.update_variant(
                variant, form.to_input(), stock_was=form.stock_was.data, actor=current_user
            )
        except DomainError as error:
            refuse(error, show=False)
            _attach_variant_error(form, error)
            variant = _own_variant(variant_id)
        else:
            flash(_("The variant “%(name)s” was saved.", name=_variant_name(variant)), "success")
            return redirect(_variants_url(variant.product_id))
    return _render_variant_form(form, variant.product, variant, status=400)


@bp.post("/dashboard/variants/<int:variant_id>/action")
@verified_cooperative_required
def variant_action(variant_id: int):
    variant = _own_variant(variant_id)
    product_id = variant.product_id
    form = VariantActionForm()
    if not form.validate_on_submit():
        abort(400)
    name = _variant_name(variant)
    action = form.action.data
    try:
        if action in ("up", "down"):
            variants.move(variant, -1 if action == "up" else 1, actor=current_user)
            message = _("The order of the variants was saved.")
        else:
            variants.set_active(variant, action == "activate", actor=current_user)
            message = (
                _("“%(name)s” is offered again.", name=name)
                if action == "activate"
                else _("“%(name)s” is no longer offered; its orders are kept.", name=name)
            )
    except DomainError as error:
        refuse(error)
        return redirect(_variants_url(product_id))
    flash(message, "success")
    return redirect(_variants_url(product_id))


# --- variants as a spreadsheet ----------------------------------------------------------


@bp.get("/dashboard/variants.csv")
@verified_cooperative_required
def variants_export():
    body = variant_csv.export_csv(current_user.cooperative_id, current_lang())
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="variants.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/dashboard/variants/import", methods=["GET", "POST"])
@verified_cooperative_required
def variants_import():
    form = VariantsImportForm()
    if request.method == "GET":
        return render_dashboard("cooperatives/variants_import.html", form=form, preview=None)
    if not form.validate_on_submit():
        abort(400)
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        form.file.errors = [*form.file.errors, _("Choose a CSV file.")]
        return render_dashboard("cooperatives/variants_import.html", 400, form=form, preview=None)
    data = upload.stream.read(variant_csv.MAX_BYTES + 1)
    preview = variant_csv.preview(current_user.cooperative_id, data, current_lang())
    return render_dashboard(
        "cooperatives/variants_import.html",
        200 if preview.valid else 400,
        form=VariantsImportForm(formdata=None),
        preview=preview,
        apply_form=VariantsApplyForm(formdata=None, data={"token": preview.token or ""}),
        filename=upload.filename[:120],
    )


@bp.post("/dashboard/variants/import/apply")
@verified_cooperative_required
def variants_apply():
    form = VariantsApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        count = variant_csv.apply(current_user.cooperative, form.token.data, actor=current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for(".variants_import"))
    flash(
        ngettext("%(num)d variant was updated.", "%(num)d variants were updated.", count),
        "success",
    )
    return redirect(url_for("cooperatives.dashboard_products"))


@bp.post("/dashboard/variants/<int:variant_id>/stock")
@verified_cooperative_required
def variant_stock(variant_id: int):
    variant = _own_variant(variant_id)
    form = StockForm()
    back = (
        url_for("cooperatives.dashboard")
        if form.back.data == "home"
        else url_for("cooperatives.dashboard_products")
    )
    name = _variant_name(variant)
    if not form.validate_on_submit():
        typed = (request.form.get("stock") or "").strip()[:20]
        messages = [str(e) for errors in form.errors.values() for e in errors]
        flash(
            _(
                "The stock of “%(name)s” was not changed (“%(typed)s”): %(error)s",
                name=name,
                typed=typed,
                error=" ".join(messages),
            ),
            "error",
        )
        return redirect(back)
    try:
        variants.set_stock(variant, form.stock.data, expected=form.was.data, actor=current_user)
    except DomainError as error:
        refuse(error)
        return redirect(back)
    flash(_("Stock of “%(name)s” set to %(n)d.", name=name, n=form.stock.data), "success")
    return redirect(back)
