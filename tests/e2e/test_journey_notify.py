"""Journey: a cooperative member, in Arabic on a 375 px phone, confirms her WhatsApp number
with the code it received (typed in Arabic-Indic digits, a wrong code refused first) and
chooses how she is told about orders; the page never scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_accessible, sideways_scroll
from tests.e2e.shop import log_in, path_of, release_database

pytestmark = pytest.mark.e2e


@pytest.fixture
def member():
    from marketplace.extensions import db
    from tests.factories import MemberFactory

    user = MemberFactory(locale="ar", email="khadija@example.ma")
    db.session.commit()
    email = user.email
    release_database()
    return email


def _last_code(app) -> str:
    from marketplace.notify.providers import read_outbox

    sent = read_outbox(app.config["MAIL_OUTBOX_DIR"], "whatsapp")
    assert sent, "no WhatsApp message in the outbox"
    return sent[-1]["variables"]["1"]


def test_notification_settings_on_a_phone_in_arabic(app, browsing, member, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_QUIET_HOURS", "")
    phone = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(phone, "ar", member)
    phone.goto("/ar/account/notifications")
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    assert sideways_scroll(phone) is None
    # Only e-mail may be chosen before a number is confirmed.
    expect(phone.locator("input[name=kind_new_order][value=whatsapp]")).to_have_count(0)

    phone.locator("input[name=number]").fill("٠٦٦١ ٢٣ ٤٥ ٦٧")
    phone.locator("input[name=channel][value=whatsapp]").check()
    with phone.expect_navigation():
        phone.locator("form:has(input[name=number]) [type=submit]").click()
    assert path_of(phone) == "/ar/account/notifications#code"
    expect(phone.locator("#code bdi")).to_have_text("+212 6 61 23 45 67")
    assert sideways_scroll(phone) is None
    code = _last_code(app)

    wrong = "000000" if code != "000000" else "111111"
    phone.locator("input[name=code]").fill(wrong)
    with phone.expect_navigation():
        phone.locator("#code [type=submit]").click()
    expect(phone.locator("#code-err")).to_be_visible()
    assert sideways_scroll(phone) is None

    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    phone.locator("input[name=code]").fill(arabic)
    with phone.expect_navigation():
        phone.locator("#code [type=submit]").click()
    expect(phone.locator(".badge-ok")).to_be_visible()
    # The default: new orders on WhatsApp, now that the number is confirmed on WhatsApp.
    expect(phone.locator("input[name=kind_new_order][value=whatsapp]")).to_be_checked()
    expect(phone.locator("input[name=kind_new_order][value=email]")).to_be_checked()
    assert sideways_scroll(phone) is None
    assert_accessible(phone, "notification settings, Arabic, phone")

    phone.locator("input[name=kind_order_status][value=sms]").check()
    phone.locator("input[name=kind_payment][value=email]").uncheck()
    with phone.expect_navigation():
        phone.locator("form:has(input[name=kind_new_order]) [type=submit]").click()
    expect(phone.locator("input[name=kind_order_status][value=sms]")).to_be_checked()
    expect(phone.locator("input[name=kind_payment][value=email]")).not_to_be_checked()
    assert sideways_scroll(phone) is None


def test_the_admin_sees_failed_messages_on_a_phone_in_arabic(app, browsing):
    from marketplace.extensions import db
    from marketplace.notify.models import QueuedMessage
    from marketplace.timeutil import utcnow
    from tests.factories import AdminFactory

    admin = AdminFactory(locale="ar", email="admin-notify@example.ma")
    db.session.add(
        QueuedMessage(
            channel="whatsapp",
            recipient="+212661234567",
            kind="new_order",
            template="new_order",
            locale="ar",
            body="…",
            status="failed",
            attempts=8,
            failed_at=utcnow(),
            last_error="SendFailed: Twilio 400 63016: Failed to send freeform message outside "
            "window (a long provider error that must wrap on a phone)",
        )
    )
    db.session.commit()
    email = admin.email
    release_database()
    phone = browsing.new_page(viewport=PHONE, locale="ar-MA")
    log_in(phone, "ar", email)
    phone.goto("/ar/admin/messages")
    expect(phone.locator("main table")).to_contain_text("63016")
    expect(phone.locator("main table bdi").first).to_have_text("+212 6 61 23 45 67")
    assert sideways_scroll(phone) is None
