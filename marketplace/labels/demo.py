"""Demo labels, certificates and reviews for ``flask seed-demo`` (idempotent).

Labels: the region's protected geographical indications (IGP Dattes Majhoul de Tafilalet,
IGP Rose de Kelaât M'Gouna-Dadès, IGP Pomme de Midelt), Morocco's organic logo and ONSSA's
sanitary authorisation. Certificates are verified, one expires within 30 days (so the admin
queue and the reminders have something to show). Reviews in Arabic, French and English are
written by demo shoppers on orders delivered to them.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pikepdf
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from marketplace import storage
from marketplace.extensions import db
from marketplace.labels.models import (
    Certificate,
    CertificateStatus,
    Label,
    LabelKind,
    LabelTranslation,
)
from marketplace.timeutil import today

LABELS = {
    "igp-dattes-majhoul-tafilalet": (
        LabelKind.ORIGIN.value,
        "Ministère de l'Agriculture – Commission nationale des SDOQ",
        {
            "ar": (
                "بيان جغرافي محمي: تمر المجهول تافيلالت",
                "تمر المجهول المزروع في واحات تافيلالت، من الجني إلى التعبئة داخل المنطقة "
                "المحددة، وفق دفتر تحملات مصادق عليه.",
            ),
            "fr": (
                "IGP Dattes Majhoul de Tafilalet",
                "Dattes Majhoul cultivées dans les oasis du Tafilalet, récoltées, triées et "
                "conditionnées dans l'aire géographique, selon un cahier des charges homologué.",
            ),
            "en": (
                "PGI Majhoul dates of Tafilalet",
                "Majhoul dates grown in the oases of Tafilalet, harvested, sorted and packed "
                "within the area, following an approved specification.",
            ),
        },
    ),
    "igp-rose-kelaat-mgouna-dades": (
        LabelKind.ORIGIN.value,
        "Ministère de l'Agriculture – Commission nationale des SDOQ",
        {
            "ar": (
                "بيان جغرافي محمي: وردة قلعة مكونة-دادس",
                "الوردة العطرية الدمشقية لوادي دادس وقلعة مكونة، تقطف يدويا في الربيع.",
            ),
            "fr": (
                "IGP Rose de Kelaât M'Gouna-Dadès",
                "La rose de Damas de la vallée du Dadès et de Kelaât M'Gouna, cueillie à la main "
                "au printemps.",
            ),
            "en": (
                "PGI Rose of Kelaat M'Gouna-Dades",
                "The Damask rose of the Dades valley and Kelaat M'Gouna, picked by hand in spring.",
            ),
        },
    ),
    "igp-pomme-midelt": (
        LabelKind.ORIGIN.value,
        "Ministère de l'Agriculture – Commission nationale des SDOQ",
        {
            "ar": ("بيان جغرافي محمي: تفاح ميدلت", "تفاح سهول ميدلت الواقعة على علو مرتفع."),
            "fr": ("IGP Pomme de Midelt", "Les pommes des hautes plaines de Midelt."),
            "en": ("PGI Apple of Midelt", "Apples of the high plains of Midelt."),
        },
    ),
    "bio-maroc": (
        LabelKind.ORGANIC.value,
        "Organisme certificateur agréé (loi 39-12)",
        {
            "ar": ("منتوج بيولوجي (المغرب)", "منتوج من الفلاحة البيولوجية، مراقب ومشهود به."),
            "fr": (
                "Agriculture biologique (Maroc)",
                "Produit issu de l'agriculture biologique, contrôlé et certifié.",
            ),
            "en": (
                "Organic farming (Morocco)",
                "Produce of organic farming, inspected and certified.",
            ),
        },
    ),
    "onssa-autorisation-sanitaire": (
        LabelKind.SANITARY.value,
        "ONSSA – Office national de sécurité sanitaire des produits alimentaires",
        {
            "ar": ("ترخيص صحي من أونسا", "ترخيص المكتب الوطني للسلامة الصحية للمنتجات الغذائية."),
            "fr": (
                "Autorisation sanitaire ONSSA",
                "Autorisation de l'Office national de sécurité sanitaire des produits "
                "alimentaires.",
            ),
            "en": (
                "ONSSA sanitary authorisation",
                "Authorisation of Morocco's national food safety office.",
            ),
        },
    ),
}

# (label slug, cooperative slug, certificate number, days until expiry, product slugs or None
# for the cooperative itself)
CERTIFICATES = [
    (
        "igp-dattes-majhoul-tafilalet",
        "nakhil-tafilalet",
        "IGP-DMT-2025-0113",
        420,
        ["mejhoul-dates-extra", "mejhoul-dates-500g", "stuffed-dates-almonds"],
    ),
    (
        "igp-rose-kelaat-mgouna-dades",
        "warda-mgouna",
        "IGP-RKMD-2025-0047",
        300,
        ["rose-water", "dried-rose-buds", "rose-essential-oil"],
    ),
    ("igp-pomme-midelt", "tifaout-midelt", "IGP-PM-2024-0209", 240, None),
    (
        "bio-maroc",
        "skoura-oasis",
        "BIO-MA-2025-3381",
        180,
        ["extra-virgin-olive-oil", "olive-oil-5l"],
    ),
    ("onssa-autorisation-sanitaire", "nakhil-tafilalet", "ONSSA-AS-18.2.2023.0412", 500, None),
    # Expires within 30 days: listed in the admin queue, reminded by `flask labels remind`.
    ("onssa-autorisation-sanitaire", "nahl-ayachi", "ONSSA-AS-18.2.2021.0977", 21, None),
]

SHOPPERS = {
    # email: (name, locale)
    "salma.benali@example.ma": ("Salma Benali", "ar"),
    "claire.dubois@example.fr": ("Claire Dubois", "fr"),
    "james.walker@example.com": ("James Walker", "en"),
}
# (shopper e-mail, product slug, rating, text)
REVIEWS = [
    (
        "salma.benali@example.ma",
        "mejhoul-dates-extra",
        5,
        "تمر طري ولذيذ جدا، والتغليف ممتاز. وصل إلى الرباط في ثلاثة أيام.",
    ),
    (
        "claire.dubois@example.fr",
        "mejhoul-dates-extra",
        5,
        "Des dattes énormes et fondantes, rien à voir avec celles du supermarché. Je recommande !",
    ),
    (
        "james.walker@example.com",
        "mejhoul-dates-extra",
        4,
        "Delicious and very fresh. Shipping to France took a week, but worth the wait.",
    ),
    (
        "salma.benali@example.ma",
        "rose-water",
        4,
        "ماء ورد أصيل برائحة قوية، أستعمله للوجه وللحلويات.",
    ),
    (
        "claire.dubois@example.fr",
        "rose-water",
        5,
        "Une eau de rose au parfum naturel, bien différente des produits industriels.",
    ),
    (
        "james.walker@example.com",
        "extra-virgin-olive-oil",
        5,
        "Fruity, peppery olive oil. You can taste the oasis.",
    ),
    (
        "claire.dubois@example.fr",
        "thyme-honey",
        3,
        "Bon miel au goût de thym prononcé, mais le pot est arrivé un peu collant.",
    ),
]


def _pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def seed_labels(ctx) -> None:
    labels = {label.slug: label for label in db.session.scalars(select(Label))}
    for position, (slug, (kind, body, texts)) in enumerate(LABELS.items()):
        if slug in labels:
            continue
        label = Label(slug=slug, kind=kind, issuing_body=body, position=position)
        for locale, (name, description) in texts.items():
            label.translations.append(
                LabelTranslation(locale=locale, name=name, description=description)
            )
        db.session.add(label)
        labels[slug] = label
        ctx.count("labels")
    db.session.flush()
    known = set(db.session.scalars(select(Certificate.number)))
    day = today()
    for label_slug, coop_slug, number, days, product_slugs in CERTIFICATES:
        cooperative = ctx.cooperatives.get(coop_slug)
        if number in known or cooperative is None:
            continue
        stored = storage.save_document(FileStorage(io.BytesIO(_pdf()), filename=f"{number}.pdf"))
        certificate = Certificate(
            cooperative_id=cooperative.id,
            label_id=labels[label_slug].id,
            for_cooperative=product_slugs is None,
            number=number,
            issuing_body=labels[label_slug].issuing_body,
            issued_on=day - timedelta(days=365 * 3 - days),
            expires_on=day + timedelta(days=days),
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            original_name=stored.original_name,
            status=CertificateStatus.APPROVED.value,
        )
        certificate.products = [ctx.products[s] for s in product_slugs or () if s in ctx.products]
        db.session.add(certificate)
        ctx.count("certificates")
    db.session.flush()


def seed_reviews(ctx) -> None:
    """Orders delivered to the demo shoppers, and their reviews."""
    from marketplace.auth.models import Role, User
    from marketplace.auth.passwords import hash_password
    from marketplace.catalogue.variants import default_variant
    from marketplace.demo_data import DEMO_PASSWORD
    from marketplace.orders.checkout import (
        ShippingDetails,
        WantedLine,
        make_idempotency_token,
        place_order,
    )
    from marketplace.orders.status import transition
    from marketplace.reviews import services as reviews
    from marketplace.reviews.models import Review
    from marketplace.timeutil import utcnow

    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN.value))
    for email, (name, locale) in SHOPPERS.items():
        user = ctx.users.get(email) or db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                name=name,
                password_hash=hash_password(DEMO_PASSWORD),
                locale=locale,
                role=Role.SHOPPER.value,
                active=True,
                email_verified_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            ctx.count("users")
            ctx.logins.append((Role.SHOPPER.value, email, DEMO_PASSWORD))
        ctx.users[email] = user
    reviewed = {
        (user_id, product_id)
        for user_id, product_id in db.session.execute(select(Review.user_id, Review.product_id))
    }
    for email, product_slug, rating, text in REVIEWS:
        user, product = ctx.users[email], ctx.products.get(product_slug)
        if product is None or (user.id, product.id) in reviewed:
            continue
        variant = default_variant(product)
        if variant is None or variant.stock < 1:
            continue
        order = place_order(
            lines=[WantedLine(product.id, 1, variant.price_cents, variant.id)],
            shipping=ShippingDetails(
                contact_name=user.name,
                phone="+212612345678",
                address_line1="12 avenue Mohammed V",
                city="Rabat",
                email=user.email,
            ),
            payment_method="cod",
            idempotency_token=make_idempotency_token(),
            locale=user.locale,
            user=user,
        )
        sub = order.sub_orders[0]
        transition(sub, "shipped", admin, carrier="Amana", tracking_number=f"AM{order.id:06d}")
        transition(sub, "delivered", admin)
        reviews.save_review(user, sub.id, product.id, reviews.ReviewData(rating, text, user.locale))
        ctx.count("reviews")
    db.session.flush()


def demo_step(ctx) -> None:
    seed_labels(ctx)
    seed_reviews(ctx)
