"""Demo notification settings (``flask seed-demo``): the demo cooperative members have a
confirmed mobile number (WhatsApp for the Arabic-speaking ones, SMS for the others), so a
demo order writes its WhatsApp or SMS notice into ``instance/outbox/`` beside the e-mail.
The numbers are fictitious (+212 6 00 00 00 0x). Idempotent: a member with a number keeps it."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.notify.models import Channel, PhoneNumber
from marketplace.timeutil import utcnow


def demo_step(ctx) -> None:
    from marketplace.extensions import db

    members = sorted(
        (user for user in ctx.users.values() if user.cooperative_id), key=lambda u: u.email
    )
    for index, user in enumerate(members, 1):
        if db.session.scalar(select(PhoneNumber.id).where(PhoneNumber.user_id == user.id)):
            continue
        channel = Channel.WHATSAPP if user.locale == "ar" else Channel.SMS
        db.session.add(
            PhoneNumber(
                user_id=user.id,
                e164=f"+2126000000{index:02d}",
                verified_at=utcnow(),
                verified_channel=channel.value,
            )
        )
        ctx.count("confirmed phone numbers")
