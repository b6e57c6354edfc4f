"""Routes of the `catalogue` domain."""

from flask import render_template

from marketplace.catalogue import bp


@bp.get("/")
def home():
    return render_template("catalogue/home.html")


@bp.get("/products")
def products():
    return render_template("catalogue/home.html")


@bp.get("/search")
def search():
    return render_template("catalogue/home.html")
