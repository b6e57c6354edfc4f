"""Structured data (schema.org JSON-LD) of a product page: the product, its offer (an
``AggregateOffer`` over one ``Offer`` per active variant when it has several), the labels it
holds (``hasCertification``), its ``AggregateRating`` and the ``Review``s shown."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from marketplace.catalogue import variants
from marketplace.i18n import pick
from marketplace.reviews.services import reviewer_name
from marketplace.storage import image_url


def product_json_ld(product, badges, reviews) -> dict:
    base = request.host_url.rstrip("/")
    name = pick(product.translations)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name.name or product.slug,
        "url": base + url_for("storefront.product", slug=product.slug),
        "offers": offers_json_ld(product, base),
    }
    cooperative = pick(product.cooperative.translations)
    if cooperative.name:
        data["brand"] = {"@type": "Organization", "name": cooperative.name}
    if product.images:
        data["image"] = base + image_url(product.images[0].stored_name, "large", "jpg")
    if badges:
        data["hasCertification"] = [
            {
                "@type": "Certification",
                "name": badge.name,
                "url": base + url_for("labels.label", slug=badge.slug),
                "expires": badge.expires_on.isoformat(),
            }
            for badge in badges
        ]
    if product.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": round(product.rating_average, 2),
            "reviewCount": product.rating_count,
            "bestRating": 5,
            "worstRating": 1,
        }
    if reviews:
        data["review"] = [
            {
                "@type": "Review",
                "reviewRating": {"@type": "Rating", "ratingValue": review.rating, "bestRating": 5},
                "author": {"@type": "Person", "name": reviewer_name(review)},
                "datePublished": review.created_at.date().isoformat(),
                "inLanguage": review.locale,
                **({"reviewBody": review.body} if review.body else {}),
            }
            for review in reviews
        ]
    return data


def _price(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _availability(stock: int) -> str:
    return "https://schema.org/" + ("InStock" if stock > 0 else "OutOfStock")


def offers_json_ld(product, base: str) -> dict:
    """A single ``Offer`` for a product with one variant (as before variants); with several,
    an ``AggregateOffer`` for the range holding one ``Offer`` per active variant, each with
    its SKU, name, price, availability and its own link (``?variant=``)."""
    if not variants.shows_choice(product):
        return {
            "@type": "Offer",
            "price": _price(product.price_cents),
            "priceCurrency": "MAD",
            "availability": _availability(product.stock),
        }
    shown = variants.active_variants(product)
    return {
        "@type": "AggregateOffer",
        "lowPrice": _price(product.price_cents),
        "highPrice": _price(product.price_max_cents),
        "offerCount": len(shown),
        "priceCurrency": "MAD",
        "availability": _availability(product.stock),
        "offers": [
            {
                "@type": "Offer",
                "sku": variant.sku,
                "name": variants.option_label(variant).text,
                "price": _price(variant.price_cents),
                "priceCurrency": "MAD",
                "availability": _availability(variant.stock),
                "url": base + url_for("storefront.product", slug=product.slug, variant=variant.id),
            }
            for variant in shown
        ],
    }
