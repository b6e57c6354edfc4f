"""Fairs in the test world: an upcoming fair where cooperative A has an accepted stand and
cooperative B a pending application."""

from __future__ import annotations

from datetime import timedelta

from marketplace.extensions import db
from marketplace.fairs import services as fairs
from marketplace.fairs.models import StandApplication, StandStatus


def make_fair(*, days_ahead: int = 10, length: int = 3, name: str = "Salon des dattes", **kw):
    start = fairs.today() + timedelta(days=days_ahead)
    data = fairs.FairData(
        names={"fr": name, "en": f"{name} (en)", "ar": "معرض التمور"},
        descriptions={"fr": "Le salon international des dattes.", "en": "", "ar": ""},
        province=kw.get("province", "errachidia"),
        city=kw.get("city", "Erfoud"),
        venue=kw.get("venue", "Place des FAR"),
        address=kw.get("address", "Avenue Moulay Ismail"),
        latitude="31.4313",
        longitude="-4.2327",
        starts_on=start,
        ends_on=start + timedelta(days=length - 1),
        registration_deadline=kw.get("deadline", start - timedelta(days=2)),
        max_stands=kw.get("max_stands", 20),
    )
    fair = fairs.create_fair(data, None)
    db.session.commit()
    return fair


def accept_stand(fair, cooperative, products) -> StandApplication:
    application = StandApplication(
        fair=fair,
        cooperative_id=cooperative.id,
        status=StandStatus.ACCEPTED.value,
        products=list(products),
    )
    db.session.add(application)
    db.session.commit()
    return application


def add_fair_objects(w) -> None:
    fair = make_fair()
    w.extra["fair"] = fair
    w.extra["stand_a"] = accept_stand(fair, w.coop_a, [w.product_a])
    pending = StandApplication(fair=fair, cooperative_id=w.coop_b.id, products=[w.product_b])
    db.session.add(pending)
    db.session.commit()
    w.extra["stand_b"] = pending
