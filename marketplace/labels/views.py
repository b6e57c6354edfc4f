"""Public pages of labels: the list, and each label's page (what it means, the products and
cooperatives holding it now), and the certificate document for its cooperative and admins."""

from __future__ import annotations

from flask import abort, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace import storage
from marketplace.catalogue import queries
from marketplace.catalogue.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.http import download_name
from marketplace.labels import bp, services
from marketplace.labels.models import Certificate

LABEL_PAGE_PRODUCTS = 48


@bp.get("/labels")
def index():
    return render_template("labels/index.html", labels=services.all_labels())


@bp.get("/labels/<slug>")
def label(slug: str):
    found = services.label_by_slug(slug)
    if found is None:
        raise NotFound(_l("This label does not exist."))
    product_ids, cooperative_ids = services.label_holders(found)
    products = list(
        db.session.scalars(
            select(Product)
            .where(Product.id.in_(product_ids), queries.visible_products_filter())
            .options(*queries.grid_options())
            .order_by(Product.featured.desc(), Product.created_at.desc(), Product.id.desc())
            .limit(LABEL_PAGE_PRODUCTS)
        )
    )
    cooperatives = list(
        db.session.scalars(
            select(Cooperative)
            .where(Cooperative.id.in_(cooperative_ids), queries.visible_cooperatives_filter())
            .order_by(Cooperative.slug)
        )
    )
    return render_template(
        "labels/label.html", label=found, products=products, cooperatives=cooperatives
    )


@bp.get("/certificates/<int:certificate_id>/document")
@login_required
def certificate_document(certificate_id: int):
    """The document of a certificate: for its cooperative's members and the admins."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not (
        current_user.is_admin or current_user.cooperative_id == certificate.cooperative_id
    ):
        abort(404)
    response = send_file(
        storage.document_path(certificate.stored_name),
        mimetype=certificate.content_type,
        as_attachment=True,
        download_name=download_name(certificate.original_name, f"certificate-{certificate.id}"),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
