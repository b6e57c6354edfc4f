"""The seller dashboard: a cooperative's products, stock, photos, public profile and
shipping settings. Everything is scoped to ``current_user.cooperative_id``: another
cooperative's product id is a 404. Only verified cooperatives may change anything; members
of a pending, rejected or suspended cooperative see the dashboard home with their status."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from marketplace.auth.decorators import cooperative_member_required, verified_cooperative_required
from marketplace.catalogue import services as catalogue
from marketplace.catalogue.models import Category, ProductStatus
from marketplace.cooperatives import bp
from marketplace.cooperatives.forms import (
    ImagesForm,
    ProductForm,
    ProfileForm,
    ShippingForm,
    StockForm,
)
from marketplace.cooperatives.models import status_label
from marketplace.cooperatives.services import (
    reason_label,
    update_cooperative_profile,
    update_shipping_settings,
)
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.http import page_arg, refuse
from marketplace.i18n import LANGUAGE_NAMES, current_lang, pick
from marketplace.storage import UploadRejected, delete_after_commit, delete_image, image_url

PRODUCTS_PER_PAGE = 50
HOME_PRODUCTS = 10


def _category_choices() -> list[tuple[str, str]]:
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    lang = current_lang()
    choices = [(str(c.id), pick(c.translations, lang).name or c.slug) for c in categories]
    return sorted(choices, key=lambda choice: choice[1].casefold())


def _has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


PRODUCT_STATUS_LABELS = {
    ProductStatus.DRAFT.value: _l("Draft"),
    ProductStatus.ACTIVE.value: _l("Active"),
    ProductStatus.HIDDEN.value: _l("Hidden"),
}


def _public_product_url(product) -> str | None:
    if product.status != ProductStatus.ACTIVE.value or not _has_endpoint("catalogue.product"):
        return None
    if not current_user.cooperative.is_verified:
        return None
    return url_for("catalogue.product", slug=product.slug)


def _language_list(codes) -> str:
    return ", ".join(LANGUAGE_NAMES[code] for code in codes)


def render_dashboard(template: str, http_status: int = 200, **context):
    """Render a dashboard page with the helpers every dashboard template uses (the other
    domains' seller pages use it too: catalogue.seller_views)."""

    context.setdefault("can_sell", current_user.cooperative.is_verified)
    html = render_template(
        template,
        status_labels=PRODUCT_STATUS_LABELS,
        image_url=image_url,
        public_product_url=_public_product_url,
        language_list=_language_list,
        pick=pick,
        **context,
    )
    return html, http_status


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
                "missing": catalogue.missing_languages(product.translations),
                "thumb": product.images[0].stored_name if product.images else None,
                "variants": product.variants if several else [],
            }
        )
    return rows


# --- home and products list -----------------------------------------------------------


@bp.get("/dashboard")
@cooperative_member_required
def dashboard():
    cooperative = current_user.cooperative
    attention = catalogue.dashboard_attention(cooperative) if cooperative.is_verified else None
    products = list(
        db.session.scalars(catalogue.cooperative_products(cooperative.id).limit(HOME_PRODUCTS))
    )
    reason_text = ""
    if not cooperative.is_verified and cooperative.status_reason_code:
        reason_text = reason_label(cooperative.status_reason_code)
    return render_dashboard(
        "cooperatives/dashboard.html",
        cooperative=cooperative,
        picked_name=pick(cooperative.translations),
        status_text=status_label(cooperative.status),
        reason_text=reason_text,
        attention=attention,
        rows=_product_rows(products),
        application_url=url_for("cooperatives.application")
        if _has_endpoint("cooperatives.application")
        else None,
    )


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
    form = StockForm()
    back = url_for(".dashboard") if form.back.data == "home" else url_for(".dashboard_products")
    if not form.validate_on_submit():
        typed = (request.form.get("stock") or "").strip()[:20]
        messages = [str(e) for errors in form.errors.values() for e in errors]
        flash(
            _(
                "The stock of “%(name)s” was not changed (“%(typed)s”): %(error)s",
                name=pick(product.translations).name,
                typed=typed,
                error=" ".join(messages),
            ),
            "error",
        )
        return redirect(back)
    try:
        catalogue.set_stock(product, form.stock.data, expected=form.was.data, actor=current_user)
    except DomainError as error:
        refuse(error)
        return redirect(back)
    flash(
        _(
            "Stock of “%(name)s” set to %(n)d.",
            name=pick(product.translations).name,
            n=form.stock.data,
        ),
        "success",
    )
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
        missing=form.missing_languages(),
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


# --- cooperative profile and shipping -------------------------------------------------


@bp.route("/dashboard/profile", methods=["GET", "POST"])
@verified_cooperative_required
def profile_edit():
    cooperative = current_user.cooperative
    if request.method == "GET":
        form = ProfileForm(formdata=None, data=ProfileForm.data_from_cooperative(cooperative))
        return _render_profile(form, cooperative)
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            update_cooperative_profile(cooperative, form.to_input())
        except DomainError as error:
            refuse(error, show=False)
            form.form_errors.append(error.message)
            cooperative = current_user.cooperative
        else:
            flash(_("Your cooperative's profile was saved."), "success")
            return redirect(url_for(".profile_edit"))
    return _render_profile(form, cooperative, 400)


def _render_profile(form: ProfileForm, cooperative, status: int = 200):
    public = None
    if _has_endpoint("cooperatives.detail") and cooperative.is_verified:
        public = url_for("cooperatives.detail", slug=cooperative.slug)
    return render_dashboard(
        "cooperatives/profile_form.html",
        status,
        form=form,
        cooperative=cooperative,
        public_cooperative_url=public,
    )


@bp.route("/dashboard/shipping", methods=["GET", "POST"])
@verified_cooperative_required
def shipping_edit():
    cooperative = current_user.cooperative
    if request.method == "GET":
        form = ShippingForm(formdata=None, data=ShippingForm.data_from_cooperative(cooperative))
        return render_dashboard("cooperatives/shipping_form.html", form=form)
    form = ShippingForm()
    if form.validate_on_submit():
        try:
            update_shipping_settings(cooperative, form.to_input())
        except DomainError as error:
            refuse(error, show=False)
            form.form_errors.append(error.message)
        else:
            flash(_("Your shipping settings were saved."), "success")
            return redirect(url_for(".shipping_edit"))
    return render_dashboard("cooperatives/shipping_form.html", 400, form=form)
