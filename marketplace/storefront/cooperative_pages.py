"""The storefront's part of the cooperatives' public pages, which ask for it through signals
(cooperatives sit below the storefront and do not import it; the receivers are connected in
``marketplace.connect_receivers()``): a cooperative's product grid with its filters, and how
many products each cooperative shows."""

from __future__ import annotations

from marketplace.catalogue import queries
from marketplace.storefront.views import listing


def _cooperative_listing(cooperative, *, template: str):
    """The cooperative's page: ``template`` rendered with its products, as the catalogue and
    category pages list theirs (filters, sort, pages)."""
    return listing(template, cooperative=cooperative)


def _cooperative_product_counts(_sender, *, locale: str) -> dict[int, int]:
    """{cooperative id: number of visible products}, from the catalogue's facets (cached)."""
    return {facet.id: facet.product_count for facet in queries.facets(locale)["cooperatives"]}
