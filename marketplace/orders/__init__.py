"""The `orders` domain: blueprint `bp` (pages under /<locale>/)."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from marketplace.orders import (  # noqa: E402,F401  (cart: merges the cart on login)
    admin_views,
    cart,
    seller_views,
    views,
)
