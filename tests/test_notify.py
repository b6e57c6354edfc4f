"""Notices by SMS and WhatsApp (marketplace/notify/): numbers verified by a code, channels
per kind of notice, messages queued with the change that causes them and sent through the
real Twilio SDK to a local fake of Twilio's API, signed callbacks (delivery status, STOP)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.notify import messages, services
from marketplace.notify.models import (
    Channel,
    MessageStatus,
    NoticeKind,
    NoticePreference,
    PhoneCode,
    PhoneNumber,
    QueuedMessage,
)
from marketplace.notify.providers import read_outbox
from marketplace.orders.models import SubOrderStatus
from marketplace.orders.status import transition
from marketplace.timeutil import utcnow
from tests.factories import (
    AdminFactory,
    MemberFactory,
    ProductFactory,
    UserFactory,
    place_test_order,
)
from tests.fakes.twilio_server import TEMPLATES, callback, sign
from tests.helpers import login, post_form
from tests.other_apps import make_app_fixture  # noqa: F401

STATUS_URL = "http://localhost/notify/twilio/status"
INBOUND_URL = "http://localhost/notify/twilio/inbound"


@pytest.fixture(autouse=True)
def daytime(app, monkeypatch):
    """No quiet hours unless a test sets them: the suite runs at any hour."""
    monkeypatch.setitem(app.config, "NOTIFY_QUIET_HOURS", "")


def _english(error) -> str:
    with force_locale("en"):
        return str(error.message)


def _outbox(app, channel=None):
    return read_outbox(Path(app.config["MAIL_OUTBOX_DIR"]), channel)


def _last_code_outbox(app) -> str:
    return _outbox(app)[-1]["variables"]["1"]


def _verify(user, number="0612345678", channel=Channel.WHATSAPP, fake=None, app=None):
    """Verify ``number`` for ``user`` through the real code flow (code read where it went)."""
    services.start_verification(user, number, channel)
    db.session.commit()
    if fake is not None:
        code = (
            fake.messages[-1]["content_variables"]["1"]
            if channel == Channel.WHATSAPP
            else (fake.messages[-1]["body"].split()[0])
        )
    else:
        code = _last_code_outbox(app)
    services.confirm_code(user, code)
    db.session.commit()
    if fake is not None:
        fake.reset()
    return code


# --- numbers and lengths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+212 6 12 34 56 78",
        "+212612345678",
        "00212612345678",
        "00 212 6 12 34 56 78",
        "٠٦١٢٣٤٥٦٧٨",
        "۰۶۱۲۳۴۵۶۷۸",
        "+٢١٢٦١٢٣٤٥٦٧٨",
    ],
)
def test_moroccan_mobile_numbers_typed_any_usual_way_become_e164(typed):
    assert services.normalize_number(typed) == "+212612345678"


@pytest.mark.parametrize("typed", ["", "hello", "0612", "0522123456", "+33 6 12 34 56"])
def test_landlines_and_garbage_are_refused(typed):
    assert services.normalize_number(typed) is None


def test_a_foreign_mobile_in_full_international_form_is_accepted():
    assert services.normalize_number("+33 6 12 34 56 78") == "+33612345678"


def test_sms_segments_count_gsm7_and_ucs2_characters():
    assert messages.sms_segments("a" * 160) == 1
    assert messages.sms_segments("a" * 161) == 2
    assert messages.sms_segments("a" * 306) == 2
    assert messages.sms_segments("€" * 80) == 1  # an extension character is two septets
    assert messages.sms_segments("€" * 81) == 2
    assert messages.sms_segments("ب" * 70) == 1  # Arabic: UCS-2, 70 in one message
    assert messages.sms_segments("ب" * 71) == 2
    assert messages.sms_segments("ب" * 134) == 2  # 67 per part once split
    assert messages.sms_segments("ب" * 135) == 3
    assert messages.sms_length("é")[0] == "GSM-7"
    assert messages.sms_length("â")[0] == "UCS-2"


def test_texts_exist_in_each_language_and_name_no_personal_data(app):
    url = "https://souk.example/ar/dashboard/orders/1"
    for locale in ("ar", "fr", "en"):
        for template, names in messages.VARIABLES.items():
            values = {"number": "ST-2026-00042", "url": url, "code": "123456", "minutes": 10}
            body, variables = messages.render(template, locale, **values)
            assert len(variables) == len(names)
            assert ("ST-2026-00042" in body) or ("123456" in body)
            if "url" in names:
                assert url in body
    # The French text stays in GSM-7: one SMS of 160 characters, not 70.
    body, _ = messages.render("new_order", "fr", number="ST-2026-00042", url="https://x.ma/o/1")
    assert messages.sms_length(body)[0] == "GSM-7"


# --- the code flow -----------------------------------------------------------------------------


def test_code_flow_through_the_pages_refuses_wrong_expired_and_replayed_codes(app, client):
    user = UserFactory(locale="en")
    login(client, user)
    page = client.get("/en/account/notifications")
    assert page.status_code == 200
    response = post_form(
        client,
        "/en/account/notifications/phone",
        {"number": "06 12 34 56 78", "channel": "sms"},
        form_url="/en/account/notifications",
    )
    assert response.status_code == 303
    sent = _outbox(app, "sms")
    assert len(sent) == 1 and sent[0]["to"] == "+212612345678"
    code = sent[0]["variables"]["1"]
    assert code in sent[0]["body"]
    stored = db.session.scalar(select(PhoneCode).where(PhoneCode.user_id == user.id))
    assert code not in stored.code_hash  # only a hash is kept
    # A message of any other kind is not sent to the number before it is verified.
    assert (
        services.notify_user(
            user,
            NoticeKind.ORDER_STATUS,
            "order_shipped",
            number="X",
            endpoint="orders.history",
            values={},
        )
        == 0
    )

    wrong = "000000" if code != "000000" else "111111"
    response = post_form(
        client,
        "/en/account/notifications/phone/confirm",
        {"code": wrong},
        form_url="/en/account/notifications",
    )
    assert response.status_code == 400
    db.session.refresh(stored)
    assert stored.attempts == 1  # kept although the answer is an error
    assert services.phone_of(user) is None

    response = post_form(
        client,
        "/en/account/notifications/phone/confirm",
        {"code": code},
        form_url="/en/account/notifications",
    )
    assert response.status_code == 303
    phone = services.phone_of(user)
    assert phone.verified and phone.e164 == "+212612345678" and phone.verified_channel == "sms"

    replay = post_form(
        client,
        "/en/account/notifications/phone/confirm",
        {"code": code},
        form_url="/en/account/notifications",
    )
    assert replay.status_code == 400
    assert "no longer valid" in replay.get_data(as_text=True)


def test_an_expired_code_is_refused(app):
    user = UserFactory()
    services.start_verification(user, "0612345678", "sms")
    db.session.commit()
    code = _last_code_outbox(app)
    row = db.session.scalar(select(PhoneCode).where(PhoneCode.user_id == user.id))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(services.InvalidInput) as refused:
        services.confirm_code(user, code)
    assert _english(refused.value) == "This code has expired. Ask for a new one."
    assert services.phone_of(user) is None


def test_wrong_codes_are_limited_then_even_the_right_one_is_refused(app):
    user = UserFactory()
    services.start_verification(user, "0612345678", "whatsapp")
    db.session.commit()
    code = _last_code_outbox(app)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(services.MAX_ATTEMPTS - 1):
        with pytest.raises(services.InvalidInput):
            services.confirm_code(user, wrong)
        db.session.commit()
    with pytest.raises(services.TooManyRequests):
        services.confirm_code(user, wrong)
    db.session.commit()
    with pytest.raises(services.TooManyRequests):
        services.confirm_code(user, code)
    assert services.phone_of(user) is None


def test_new_codes_are_rate_limited_and_only_the_newest_works(app):
    user = UserFactory()
    services.start_verification(user, "0612345678", "sms")
    db.session.commit()
    first = _last_code_outbox(app)
    with pytest.raises(services.TooManyRequests):
        services.start_verification(user, "0612345678", "sms")
    db.session.rollback()
    # A minute later a new code may be sent; the first one stops working.
    db.session.execute(db.update(PhoneCode).values(created_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()
    services.start_verification(user, "0612345678", "sms")
    db.session.commit()
    second = _last_code_outbox(app)
    if first != second:
        with pytest.raises(services.InvalidInput):
            services.confirm_code(user, first)
        db.session.commit()
    # At most MAX_CODES_PER_HOUR codes an hour.
    for _ in range(services.MAX_CODES_PER_HOUR - 2):
        db.session.execute(db.update(PhoneCode).values(created_at=utcnow() - timedelta(seconds=61)))
        db.session.commit()
        services.start_verification(user, "0612345678", "sms")
        db.session.commit()
    db.session.execute(db.update(PhoneCode).values(created_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()
    with pytest.raises(services.TooManyRequests) as refused:
        services.start_verification(user, "0612345678", "sms")
    assert "this hour" in _english(refused.value)


def test_a_landline_is_refused_on_the_page(app, client):
    user = UserFactory()
    login(client, user)
    response = post_form(
        client,
        "/en/account/notifications/phone",
        {"number": "0522 12 34 56", "channel": "sms"},
        form_url="/en/account/notifications",
    )
    assert response.status_code == 400
    assert "Enter a mobile number" in response.get_data(as_text=True)
    assert _outbox(app, "sms") == []


# --- done when: a new order on WhatsApp, a shipped notice by SMS -------------------------------


def test_new_order_sends_one_whatsapp_message_in_the_owners_language_after_the_commit(
    app, twilio_keys
):
    owner = MemberFactory(locale="ar")
    colleague = MemberFactory(cooperative=owner.cooperative, is_cooperative_owner=False)
    _verify(owner, "٠٦٦١٢٣٤٥٦٧", Channel.WHATSAPP, fake=twilio_keys)
    product = ProductFactory(cooperative=owner.cooperative, stock=10)

    order = place_test_order({product: 1})
    assert twilio_keys.messages == []  # not before the commit
    db.session.commit()

    sent = twilio_keys.whatsapp()
    assert len(sent) == 1 and twilio_keys.sms() == []  # the colleague has no number
    message = sent[0]
    assert message["to"] == "whatsapp:+212661234567"
    assert message["from"] == "whatsapp:+212522000001"
    assert message["content_sid"] == TEMPLATES["new_order"]["ar"]
    sub = order.sub_orders[0]
    assert message["content_variables"] == {
        "1": order.number,
        "2": f"http://localhost/ar/dashboard/orders/{sub.id}",
    }
    assert message["status_callback"] == STATUS_URL
    row = db.session.scalar(select(QueuedMessage).where(QueuedMessage.template == "new_order"))
    assert row.status == MessageStatus.SENT and row.provider_id == message["sid"]
    assert row.locale == "ar" and order.number in row.body

    # Later runs of the job send nothing again.
    services.deliver_all()
    assert len(twilio_keys.messages) == 1
    assert colleague.id  # kept e-mail only


def test_an_order_rolled_back_sends_nothing(app, twilio_keys):
    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.WHATSAPP, fake=twilio_keys)
    product = ProductFactory(cooperative=owner.cooperative, stock=10)
    place_test_order({product: 1})
    db.session.rollback()
    services.deliver_all()
    assert twilio_keys.messages == []
    assert (
        db.session.scalar(select(QueuedMessage).where(QueuedMessage.template == "new_order"))
        is None
    )


def test_the_shopper_who_chose_sms_gets_the_shipped_notice_by_sms(app, client, twilio_keys):
    shopper = UserFactory(locale="en")
    _verify(shopper, "+212 7 00 11 22 33", Channel.SMS, fake=twilio_keys)
    login(client, shopper)
    response = post_form(
        client,
        "/en/account/notifications",
        {"kind_order_status": ["email", "sms"]},
        form_url="/en/account/notifications",
    )
    assert response.status_code == 303
    member = MemberFactory(locale="fr")
    product = ProductFactory(cooperative=member.cooperative, stock=5)
    order = place_test_order({product: 1}, user=shopper)
    db.session.commit()
    assert twilio_keys.sms() == []  # a new order is not a shopper's SMS notice
    transition(
        order.sub_orders[0],
        SubOrderStatus.SHIPPED.value,
        member,
        carrier="Amana",
        tracking_number="AM123",
    )
    db.session.commit()
    sent = twilio_keys.sms()
    assert len(sent) == 1
    assert sent[0]["to"] == "+212700112233" and sent[0]["from"] == "+212522000000"
    assert order.number in sent[0]["body"] and "shipped" in sent[0]["body"]
    assert f"http://localhost/en/orders/{order.number}" in sent[0]["body"]
    assert "Fatima" not in sent[0]["body"] and "Palmiers" not in sent[0]["body"]
    assert twilio_keys.whatsapp() == []


def test_a_shopper_who_unticks_email_gets_no_shipped_email(app, client, outbox):
    shopper = UserFactory(locale="fr")
    db.session.add(NoticePreference(user_id=shopper.id, kind="order_status", channels=""))
    db.session.commit()
    member = MemberFactory()
    product = ProductFactory(cooperative=member.cooperative, stock=5)
    order = place_test_order({product: 1}, user=shopper)
    db.session.commit()
    before = len(outbox())
    transition(order.sub_orders[0], "shipped", member, carrier="Amana")
    db.session.commit()
    assert [m for m in outbox()[before:] if m["To"] == shopper.email] == []


# --- delivery: failures, retries, callbacks, STOP -------------------------------------------


def _queued_one(fake, owner):
    product = ProductFactory(cooperative=owner.cooperative, stock=10)
    order = place_test_order({product: 1})
    db.session.commit()
    return order, db.session.scalar(
        select(QueuedMessage).where(QueuedMessage.template == "new_order")
    )


def test_a_failed_send_is_retried_later_with_backoff(app, twilio_keys):
    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.SMS, fake=twilio_keys)
    twilio_keys.fail_next(1, status=503, code=20503, text="Service Unavailable")
    _order, row = _queued_one(twilio_keys, owner)
    assert twilio_keys.sms() == []
    assert row.status == MessageStatus.QUEUED and row.attempts == 1
    assert "503" in row.last_error
    due = row.next_attempt_at.replace(tzinfo=row.next_attempt_at.tzinfo or UTC)
    assert due > utcnow() + timedelta(seconds=50)
    assert services.send_due()["sent"] == 0  # not due yet
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.send_due()["sent"] == 1
    db.session.refresh(row)
    assert row.status == MessageStatus.SENT and row.attempts == 2 and row.last_error is None
    assert len(twilio_keys.sms()) == 1


def test_a_refused_send_is_given_up_and_shown_to_admins(app, client, twilio_keys):
    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.SMS, fake=twilio_keys)
    twilio_keys.fail_next(1, status=400, code=21211, text="Invalid 'To' Phone Number")
    _order, row = _queued_one(twilio_keys, owner)
    assert row.status == MessageStatus.FAILED and row.failed_at is not None
    assert "21211" in row.last_error
    admin = AdminFactory()
    login(client, admin)
    page = client.get("/en/admin/messages")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "21211" in text and "+212 6" in text
    response = post_form(
        client, f"/en/admin/messages/{row.id}/send-again", {}, form_url="/en/admin/messages"
    )
    assert response.status_code == 303
    db.session.refresh(row)
    assert row.status == MessageStatus.SENT and len(twilio_keys.sms()) == 1


def test_status_callbacks_are_recorded_only_with_a_valid_signature(app, client, twilio_keys):
    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.WHATSAPP, fake=twilio_keys)
    _order, row = _queued_one(twilio_keys, owner)
    sid = row.provider_id
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "ACx"}
    forged = callback(client, STATUS_URL, params, token="not-the-auth-token")
    assert forged.status_code == 403
    db.session.refresh(row)
    assert row.status == MessageStatus.SENT
    # A valid signature over other parameters than those sent is refused too.
    tampered = client.post(
        "/notify/twilio/status",
        data={**params, "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": sign(STATUS_URL, params)},
    )
    assert tampered.status_code == 403
    assert callback(client, STATUS_URL, params).status_code == 204
    db.session.refresh(row)
    assert row.status == MessageStatus.DELIVERED and row.status_at is not None
    failed = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "63016"}
    assert callback(client, STATUS_URL, failed).status_code == 204
    db.session.refresh(row)
    assert row.status == MessageStatus.FAILED and "63016" in row.last_error


def test_callbacks_are_refused_without_a_provider(app, client):
    response = client.post(
        "/notify/twilio/status", data={"MessageSid": "SM1", "MessageStatus": "delivered"}
    )
    assert response.status_code == 403


def test_a_stop_reply_stops_that_channel_and_start_resumes_it(app, client, twilio_keys):
    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.SMS, fake=twilio_keys)
    forged = callback(client, INBOUND_URL, {"From": "+212612345678", "Body": "STOP"}, token="wrong")
    assert forged.status_code == 403
    assert services.phone_of(owner).sms_stopped_at is None
    reply = callback(client, INBOUND_URL, {"From": "+212612345678", "Body": " stop "})
    assert reply.status_code == 200 and reply.mimetype == "text/xml"
    db.session.expire_all()
    assert services.phone_of(owner).sms_stopped_at is not None
    _queued_one(twilio_keys, owner)
    assert twilio_keys.sms() == []  # nothing queued for a number that said STOP
    assert (
        callback(client, INBOUND_URL, {"From": "+212612345678", "Body": "START"}).status_code == 200
    )
    db.session.expire_all()
    assert services.phone_of(owner).sms_stopped_at is None
    _queued_one(twilio_keys, owner)
    assert len(twilio_keys.sms()) == 1


def test_a_message_queued_before_stop_is_not_sent(app, client, twilio_keys, monkeypatch):
    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.WHATSAPP, fake=twilio_keys)
    monkeypatch.setitem(app.config, "NOTIFY_QUIET_HOURS", "00:00-23:59")
    _order, row = _queued_one(twilio_keys, owner)
    assert row.status == MessageStatus.QUEUED
    callback(client, INBOUND_URL, {"From": "whatsapp:+212612345678", "Body": "STOP"})
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.send_due()["skipped"] == 1
    assert twilio_keys.messages == []


# --- preferences, defaults, unsubscribe, quiet hours ----------------------------------------


def test_defaults_give_a_cooperative_new_orders_on_its_verified_channel(app):
    member = MemberFactory()
    shopper = UserFactory()
    assert services.chosen_channels(member, NoticeKind.NEW_ORDER) == {"email"}
    db.session.add(
        PhoneNumber(
            user_id=member.id,
            e164="+212612345678",
            verified_at=utcnow(),
            verified_channel="whatsapp",
        )
    )
    db.session.add(
        PhoneNumber(
            user_id=shopper.id, e164="+212612345679", verified_at=utcnow(), verified_channel="sms"
        )
    )
    db.session.commit()
    assert services.chosen_channels(member, NoticeKind.NEW_ORDER) == {"email", "whatsapp"}
    assert services.chosen_channels(member, NoticeKind.ORDER_STATUS) == {"email"}
    assert services.chosen_channels(shopper, NoticeKind.ORDER_STATUS) == {"email"}
    assert [k for k, _ in services.preference_table(shopper)] == [NoticeKind.ORDER_STATUS]
    assert NoticeKind.CERTIFICATE in dict(services.preference_table(member))


def test_phone_channels_need_a_verified_number(app, client):
    shopper = UserFactory()
    login(client, shopper)
    response = post_form(
        client,
        "/fr/account/notifications",
        {"kind_order_status": ["sms"]},
        form_url="/fr/account/notifications",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(NoticePreference)) is None


def test_the_unsubscribe_link_turns_one_channel_off(app, client):
    member = MemberFactory()
    db.session.add(
        PhoneNumber(
            user_id=member.id, e164="+212612345678", verified_at=utcnow(), verified_channel="sms"
        )
    )
    db.session.commit()
    token = services.unsubscribe_token(member.id, "new_order", "sms")
    page = client.get(f"/fr/notifications/unsubscribe/{token}")
    assert page.status_code == 200
    assert services.chosen_channels(member, NoticeKind.NEW_ORDER) == {"email", "sms"}
    post_form(client, f"/fr/notifications/unsubscribe/{token}", {})
    assert services.chosen_channels(member, NoticeKind.NEW_ORDER) == {"email"}
    assert client.get("/fr/notifications/unsubscribe/forged").status_code == 404


def test_quiet_hours_hold_non_urgent_notices_until_the_morning_in_casablanca():
    night = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 23:30 in Casablanca (UTC+1)
    assert services.quiet_until(night, "21:00-08:00") == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    early = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    assert services.quiet_until(early, "21:00-08:00") == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    assert services.quiet_until(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), "21:00-08:00") is None
    assert services.quiet_until(night, "") is None


def test_a_code_is_urgent_and_leaves_during_quiet_hours(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_QUIET_HOURS", "00:00-23:59")
    user = UserFactory()
    services.start_verification(user, "0612345678", "sms")
    db.session.commit()
    assert len(_outbox(app, "sms")) == 1


def test_without_provider_settings_messages_go_to_the_outbox_folder(app):
    member = MemberFactory(locale="fr")
    _verify(member, "0612345678", Channel.SMS, app=app)
    product = ProductFactory(cooperative=member.cooperative, stock=3)
    order = place_test_order({product: 1})
    db.session.commit()
    sent = [m for m in _outbox(app, "sms") if m["template"] == "new_order"]
    assert len(sent) == 1 and order.number in sent[0]["body"]
    assert json.dumps(sent[0])  # plain JSON an operator can read


# --- verification decisions and certificate reminders ---------------------------------------


def test_a_verification_decision_reaches_the_member_by_whatsapp(app, twilio_keys):
    from marketplace.cooperatives import services as cooperatives
    from marketplace.cooperatives.models import CooperativeStatus
    from tests.factories import CooperativeFactory

    cooperative = CooperativeFactory(status=CooperativeStatus.PENDING.value)
    owner = MemberFactory(cooperative=cooperative, locale="fr")
    _verify(owner, "0612345678", Channel.WHATSAPP, fake=twilio_keys)
    db.session.add(NoticePreference(user_id=owner.id, kind="verification", channels="whatsapp"))
    db.session.commit()
    cooperatives.change_status(cooperative, CooperativeStatus.VERIFIED, AdminFactory())
    db.session.commit()
    (message,) = twilio_keys.whatsapp()
    assert message["content_sid"] == TEMPLATES["cooperative_approved"]["fr"]
    assert message["content_variables"]["1"] == cooperative.registration_number
    assert message["content_variables"]["2"].startswith("http://localhost/fr/")


def test_a_certificate_reminder_goes_by_sms_when_chosen(app, twilio_keys, monkeypatch):
    from datetime import date

    from marketplace.labels import services as labels
    from tests.trust_support import freeze, make_certificate, make_label

    owner = MemberFactory(locale="ar")
    _verify(owner, "0612345678", Channel.SMS, fake=twilio_keys)
    db.session.add(NoticePreference(user_id=owner.id, kind="certificate", channels="email,sms"))
    make_certificate(
        owner.cooperative, make_label(), for_cooperative=True, expires_on=date(2026, 6, 15)
    )
    db.session.commit()
    freeze(monkeypatch, datetime(2026, 5, 20, 9, 0, tzinfo=UTC))
    assert labels.send_reminders() == 1
    db.session.commit()
    (message,) = twilio_keys.sms()
    assert "/ar/" in message["body"]
    row = db.session.scalar(
        select(QueuedMessage).where(QueuedMessage.template == "certificate_expiring")
    )
    assert row.locale == "ar" and row.status == MessageStatus.SENT


def test_the_send_messages_job_sends_what_became_due(app, twilio_keys, monkeypatch):
    from marketplace.jobs import runner, schedule

    assert schedule.get("send-messages").period == timedelta(minutes=1)
    owner = MemberFactory(locale="en")
    _verify(owner, "0612345678", Channel.SMS, fake=twilio_keys)
    monkeypatch.setitem(app.config, "NOTIFY_QUIET_HOURS", "00:00-23:59")
    _order, row = _queued_one(twilio_keys, owner)
    assert row.status == MessageStatus.QUEUED and twilio_keys.sms() == []  # quiet hours
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    summary = runner.run_job("send-messages")
    assert summary == {"sent": 1, "failed": 0, "skipped": 0}
    assert len(twilio_keys.sms()) == 1


def test_a_payout_sent_reaches_the_cooperative_by_sms(app, stripe_keys, twilio_keys):
    from marketplace.payments import payouts
    from marketplace.payments import services as payments
    from tests.payments_support import deliver, place

    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.SMS, fake=twilio_keys)
    db.session.add(NoticePreference(user_id=owner.id, kind="payment", channels="email,sms"))
    db.session.commit()
    product = ProductFactory(cooperative=owner.cooperative, price_cents=10000, stock=5)
    order = place([(product, 1)], method="card")
    with app.test_request_context("/fr/"):
        payments.start_card_checkout(
            order, locale="fr", success_url="http://x/ok", cancel_url="http://x/no"
        )
    db.session.commit()
    payment = payments.payment_for(order)
    payments.fulfil_checkout_session(stripe_keys.complete_session(payment.stripe_session_id))
    db.session.commit()
    deliver(order.sub_orders[0])
    db.session.commit()
    twilio_keys.reset()
    admin = AdminFactory()
    batch = payouts.create_batch(admin)
    db.session.commit()
    payouts.mark_paid(batch, "VIR-2026-001", admin)
    assert twilio_keys.sms() == []  # not before the commit
    db.session.commit()
    (message,) = twilio_keys.sms()
    assert f"SOUK-PAYOUT-{batch.id}-{owner.cooperative_id}" in message["body"]
    assert "http://localhost/fr/dashboard/balance" in message["body"]


def test_flask_notify_deliver_sends_what_is_due(app, twilio_keys, monkeypatch):
    owner = MemberFactory(locale="fr")
    _verify(owner, "0612345678", Channel.SMS, fake=twilio_keys)
    monkeypatch.setitem(app.config, "NOTIFY_QUIET_HOURS", "00:00-23:59")
    _order, row = _queued_one(twilio_keys, owner)
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notify", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 sent, 0 given up, 0 skipped; 0 waiting")
    assert len(twilio_keys.sms()) == 1


@pytest.mark.postgres
def test_postgres_two_senders_at_once_send_each_message_once(app, twilio_keys, monkeypatch):
    """Two `send-messages` runs at the same moment (threads, each its own connection) share
    the queue: every message leaves once."""
    import threading

    owners = [MemberFactory(locale="fr") for _ in range(6)]
    for i, owner in enumerate(owners):
        _verify(owner, f"06123456{i:02d}", Channel.SMS, fake=twilio_keys)
    monkeypatch.setitem(app.config, "NOTIFY_QUIET_HOURS", "00:00-23:59")
    for owner in owners:
        _queued_one(twilio_keys, owner)
    db.session.execute(
        db.update(QueuedMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = services.send_due(limit=4)["sent"] + services.send_due()["sent"]
            except Exception as error:  # noqa: BLE001 - reported by the assertion
                db.session.rollback()
                results[i] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 6, results
    assert sorted(m["to"] for m in twilio_keys.sms()) == sorted(
        f"+2126123456{i:02d}" for i in range(6)
    )


def test_codes_to_one_number_are_limited_across_accounts(app):
    """SMS pumping: many accounts asking codes for one number get at most
    MAX_CODES_PER_HOUR an hour between them."""
    for _ in range(services.MAX_CODES_PER_HOUR):
        services.start_verification(UserFactory(), "0612345678", "sms")
        db.session.commit()
    with pytest.raises(services.TooManyRequests):
        services.start_verification(UserFactory(), "06 12 34 56 78", "sms")
    db.session.rollback()
    services.start_verification(UserFactory(), "0612345679", "sms")  # another number: fine
    db.session.commit()
    assert len(_outbox(app, "sms")) == services.MAX_CODES_PER_HOUR + 1


def test_asking_for_codes_is_rate_limited_per_address(app, make_app):
    from marketplace.extensions import limiter
    from tests.conftest import IsolatedClient

    limited = make_app(
        "testing",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        NOTIFY_CODE_RATE_LIMIT="2 per hour",
        NOTIFY_QUIET_HOURS="",
    )
    limited.test_client_class = IsolatedClient
    limiter.reset()
    user = UserFactory(locale="en")
    db.session.commit()
    client = limited.test_client()
    try:
        login(client, user)
        statuses = []
        for i in range(3):
            db.session.execute(
                db.update(PhoneCode).values(created_at=utcnow() - timedelta(seconds=61))
            )
            db.session.commit()
            response = post_form(
                client,
                "/en/account/notifications/phone",
                {"number": f"06123456{i:02d}", "channel": "sms"},
                form_url="/en/account/notifications",
            )
            statuses.append(response.status_code)
    finally:
        limiter.reset()
        limiter.enabled = False
    assert statuses == [303, 303, 429]
