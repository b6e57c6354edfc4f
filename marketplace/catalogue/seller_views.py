"""The seller's product pages on the seller dashboard: the products list with its quick
stock forms, a product's form and its photos; and its variant pages (issue #15): add, edit,
reorder and stop offering a product's variants, set each one's stock from the products list,
and change prices and stock from a spreadsheet (CSV export; import previewed, then applied
at once). The dashboard's home (cooperatives.seller_views) shows the latest products and
what needs attention by asking this module through a signal (_dashboard_home).

Everything is scoped to ``current_user.cooperative_id``: another cooperative's product or
variant id is a 404. The pages are rendered with the dashboard's layout
(cooperatives.seller_views.render_dashboard, with the products' helpers added here); the
services are catalogue.services, catalogue.variants and catalogue.variant_csv."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from marketplace.auth.decorators import verified_cooperative_required
from marketplace.catalogue import bp, variant_csv, variants
from marketplace.catalogue import services as catalogue
from marketplace.catalogue.models import Category, ProductStatus
from marketplace.catalogue.seller_forms import (
    ImagesForm,
    ProductForm,
    StockForm,
    VariantActionForm,
    VariantForm,
    VariantsApplyForm,
    VariantsImportForm,
)
from marketplace.cooperatives.seller_views import render_dashboard as _render_dashboard
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.http import page_arg, refuse
from marketplace.i18n import current_locale, pick
from marketplace.storage import UploadRejected, delete_after_commit, delete_image

PRODUCTS_PER_PAGE = 50
HOME_PRODUCTS = 10

PRODUCT_STATUS_LABELS = {
    ProductStatus.DRAFT.value: _l("Draft"),
    ProductStatus.ACTIVE.value: _l("Active"),
    ProductStatus.HIDDEN.value: _l("Hidden"),
}


def _category_choices() -> list[tuple[str, str]]:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    locale = current_locale()
    choices = [(str(c.id), pick(c.translations, locale).name or c.slug) for c in categories]
    return sorted(choices, key=lambda choice: choice[1].casefold())


def _public_product_url(product) -> str | None:
    if product.status != ProductStatus.ACTIVE.value or "storefront.product" not in (
        current_app.view_functions
    ):
        return None
    if not current_user.cooperative.is_verified:
        return None
    return url_for("storefront.product", slug=product.slug)


def _product_helpers() -> dict:
    """What the product templates use beside the dashboard's helpers."""
    return {"status_labels": PRODUCT_STATUS_LABELS, "public_product_url": _public_product_url}


def render_dashboard(template: str, http_status: int = 200, **context):
    return _render_dashboard(template, http_status, **_product_helpers(), **context)


def _own_product(product_id: int):
    try:
        return catalogue.get_cooperative_product(current_user.cooperative_id, product_id)
    except DomainError:
        abort(404)


def _product_rows(products):
    """What the products table shows for each product, with its quick stock form (one per
    variant when it has several)."""
    rows = []
    for product in products:
        several = len(product.variants) > 1
        rows.append(
            {
                "product": product,
                "picked": pick(product.translations),
                "missing": catalogue.missing_locales(product.translations),
                "thumb": product.images[0].stored_name if product.images else None,
                "variants": product.variants if several else [],
            }
        )
    return rows


def _dashboard_home(cooperative) -> dict:
    """The dashboard home's products (signals.seller_dashboard_home): what needs attention
    (verified cooperatives only) and the latest products, with their template's helpers."""
    attention = catalogue.dashboard_attention(cooperative) if cooperative.is_verified else None
    products = list(
        db.session.scalars(catalogue.cooperative_products(cooperative.id).limit(HOME_PRODUCTS))
    )
    return {"attention": attention, "rows": _product_rows(products), **_product_helpers()}


# --- products list --------------------------------------------------------------------


@bp.get("/dashboard/products")
@verified_cooperative_required
def dashboard_products():
    status = request.args.get("status", "")
    if status not in {s.value for s in ProductStatus}:
        status = ""
    stmt = catalogue.cooperative_products(current_user.cooperative_id, status or None)
    pagination = db.paginate(stmt, page=page_arg(), per_page=PRODUCTS_PER_PAGE, error_out=False)
    return render_dashboard(
        "cooperatives/dashboard_products.html",
        rows=_product_rows(pagination.items),
        pagination=pagination,
        status=status,
        statuses=list(ProductStatus),
    )


@bp.post("/dashboard/products/<int:product_id>/stock")
@verified_cooperative_required
def product_stock(product_id: int):
    product = _own_product(product_id)
    return _stock_form_answer(
        pick(product.translations).name,
        lambda stock, seen: catalogue.set_stock(product, stock, expected=seen, actor=current_user),
    )


def _stock_form_answer(name: str, set_stock) -> Response:
    """The quick stock form of the products list (or the dashboard's home): ``set_stock(stock,
    seen)`` with what was typed and the stock the seller saw; back with a message either way."""
    form = StockForm()
    back = (
        url_for("cooperatives.dashboard")
        if form.back.data == "home"
        else url_for(".dashboard_products")
    )
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
        set_stock(form.stock.data, form.was.data)
    except DomainError as error:
        refuse(error)
        return redirect(back)
    flash(_("Stock of “%(name)s” set to %(n)d.", name=name, n=form.stock.data), "success")
    return redirect(back)


# --- product create / edit ------------------------------------------------------------


def _render_product_form(form: ProductForm, product=None, status: int = 200):
    return render_dashboard(
        "cooperatives/product_form.html",
        status,
        form=form,
        product=product,
        images_form=ImagesForm(formdata=None) if product is not None else None,
        picked=pick(product.translations) if product is not None else None,
        max_images=catalogue.MAX_IMAGES,
        missing=form.missing_locales(),
    )


def _single_variant(product) -> bool:
    return len(product.variants) == 1


@bp.route("/dashboard/products/new", methods=["GET", "POST"])
@verified_cooperative_required
def product_new():
    form = ProductForm()
    form.set_category_choices(_category_choices())
    if request.method == "GET":
        return _render_product_form(form)
    if form.validate_on_submit():
        try:
            product = catalogue.create_product(current_user.cooperative, form.to_input())
            catalogue.add_product_images(product, form.uploaded_images())
        except DomainError as error:
            refuse(error, show=False)
            _attach_error(form, error)
        else:
            flash(_("The product was created."), "success")
            return redirect(url_for(".product_edit", product_id=product.id))
    _ask_photos_again(form)
    return _render_product_form(form, status=400)


@bp.route("/dashboard/products/<int:product_id>/edit", methods=["GET", "POST"])
@verified_cooperative_required
def product_edit(product_id: int):
    product = _own_product(product_id)
    single = _single_variant(product)
    if request.method == "GET":
        form = ProductForm(
            formdata=None, data=ProductForm.data_from_product(product), variant_fields=single
        )
        form.set_category_choices(_category_choices())
        return _render_product_form(form, product)
    form = ProductForm(variant_fields=single)
    form.set_category_choices(_category_choices())
    if form.validate_on_submit():
        try:
            catalogue.update_product(product, form.to_input())
            catalogue.add_product_images(product, form.uploaded_images())
        except DomainError as error:
            refuse(error, show=False)
            _attach_error(form, error)
            product = _own_product(product_id)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect(url_for(".product_edit", product_id=product.id))
    _ask_photos_again(form)
    return _render_product_form(form, product, status=400)


def _ask_photos_again(form: ProductForm) -> None:
    """Browsers empty file fields when a form comes back: say so when photos were sent."""
    if form.uploaded_images() and not form.images.errors:
        form.images.errors = [
            *form.images.errors,
            _("Your photos were not saved: please choose them again."),
        ]


def _attach_error(form: ProductForm, error: DomainError) -> None:
    """Show a service's refusal on the form (on the photos field for upload problems)."""

    message = error.message
    if isinstance(error, UploadRejected) or error.details.get("field") == "images":
        form.images.errors = [*form.images.errors, message]
    elif error.details.get("field") == "stock" and form.has_variant_fields:
        form.stock.errors = [*form.stock.errors, message]
        # Saving again means "yes, this figure": compare with the stock as it is now.
        form.stock_was.data = error.details.get("current")
    else:
        form.form_errors.append(message)


@bp.post("/dashboard/products/<int:product_id>/images")
@verified_cooperative_required
def product_images(product_id: int):
    product = _own_product(product_id)
    form = ImagesForm()
    if not form.validate_on_submit():
        abort(400)
    verb, image_id = form.parsed_action()
    removed_name = None
    try:
        if verb == "remove":
            removed_name = next((i.stored_name for i in product.images if i.id == image_id), None)
            catalogue.remove_product_image(product, image_id)
            message = _("The photo was removed.")
        elif verb in ("up", "down"):
            catalogue.move_product_image(product, image_id, -1 if verb == "up" else 1)
            message = _("The order of the photos was saved.")
        else:
            catalogue.reorder_product_images(product, form.positions(request.form))
            message = _("The order of the photos was saved.")
    except DomainError as error:
        if error.status_code == 404:
            abort(404)
        refuse(error)
        return redirect(url_for(".product_edit", product_id=product_id) + "#photos")
    if removed_name:
        delete_after_commit(delete_image, removed_name)
    flash(message, "success")
    return redirect(url_for(".product_edit", product_id=product_id) + "#photos")


# --- variants -------------------------------------------------------------------------


def _own_variant(variant_id: int):
    try:
        return variants.get_cooperative_variant(current_user.cooperative_id, variant_id)
    except DomainError:
        abort(404)


def _variant_name(variant) -> str:
    return variants.with_option(pick(variant.product.translations).name, variant)


def _variants_url(product_id: int) -> str:
    return url_for(".product_edit", product_id=product_id) + "#variants"


def _attach_variant_error(form: VariantForm, error: DomainError) -> None:
    field_name = error.details.get("field")
    if field_name == "labels":
        field_name = f"label_{current_locale()}"
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
    body = variant_csv.export_csv(current_user.cooperative_id, current_locale())
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
    preview = variant_csv.preview(current_user.cooperative_id, data, current_locale())
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
    return redirect(url_for(".dashboard_products"))


@bp.post("/dashboard/variants/<int:variant_id>/stock")
@verified_cooperative_required
def variant_stock(variant_id: int):
    variant = _own_variant(variant_id)
    return _stock_form_answer(
        _variant_name(variant),
        lambda stock, seen: variants.set_stock(variant, stock, expected=seen, actor=current_user),
    )
