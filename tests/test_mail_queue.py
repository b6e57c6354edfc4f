"""The e-mail queue (MAIL_DELIVERY=queue, production's default): messages are committed with
the data that caused them, sent by the send-mail job, retried while the mail server fails,
never sent twice, never lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from marketplace import mail
from marketplace.extensions import db
from marketplace.mail import QueuedMail
from marketplace.timeutil import utcnow
from tests.factories import CooperativeFactory, MemberFactory, ProductFactory, place_test_order


@pytest.fixture
def queued(app, monkeypatch):
    """Queue mode, without the send-mail job (each test sends by calling deliver_due)."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", mail.QUEUE)
    monkeypatch.setattr(mail, "request_delivery", lambda: None)


def queue_size() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(QueuedMail))


def recipients(outbox) -> list[str]:
    return sorted(message["To"] for message in outbox())


def test_order_mails_are_committed_with_the_order_and_sent_once(app, queued, outbox):
    coop = CooperativeFactory()
    MemberFactory(cooperative=coop, email="nakhil@example.ma", locale="fr")
    order = place_test_order({ProductFactory(cooperative=coop): 1})
    db.session.commit()
    assert queue_size() == 2 and outbox() == []  # nothing sent on the request's time
    assert mail.deliver_due() == 2
    assert recipients(outbox) == ["nakhil@example.ma", "shopper@example.ma"]
    assert any(order.number in message["Subject"] for message in outbox())
    assert queue_size() == 0
    assert mail.deliver_due() == 0
    assert len(outbox()) == 2


def test_a_rolled_back_order_queues_nothing(app, queued, outbox):
    place_test_order({ProductFactory(): 1})
    db.session.rollback()
    assert queue_size() == 0
    assert mail.deliver_due() == 0 and outbox() == []


def test_a_failing_mail_server_is_retried_later_then_given_up(app, queued, outbox, monkeypatch):
    place_test_order({ProductFactory(): 1})
    db.session.commit()
    real_deliver = mail.deliver

    def refuse(message):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(mail, "deliver", refuse)
    assert mail.deliver_due() == 0
    row = db.session.scalar(db.select(QueuedMail))
    assert row.attempts == 1 and "mail server down" in row.last_error
    assert row.claimed_by is None and row.failed_at is None
    assert mail.deliver_due() == 0 and row.attempts == 1  # not due yet: no second try now

    def make_due():
        db.session.execute(
            db.update(QueuedMail).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()

    for _ in range(mail.MAX_ATTEMPTS - 1):
        make_due()
        mail.deliver_due()
    db.session.refresh(row)
    assert row.attempts == mail.MAX_ATTEMPTS and row.failed_at is not None
    make_due()
    monkeypatch.setattr(mail, "deliver", real_deliver)
    assert mail.deliver_due() == 0 and outbox() == []  # given up: kept for the operator
    result = app.test_cli_runner().invoke(args=["mail", "deliver"])
    assert result.exit_code == 0
    assert "0 sent; 0 waiting to be tried again; 1 given up" in result.output


def test_a_failure_then_success_sends_exactly_once(app, queued, outbox, monkeypatch):
    place_test_order({ProductFactory(): 1})
    db.session.commit()
    real_deliver = mail.deliver
    monkeypatch.setattr(mail, "deliver", lambda m: (_ for _ in ()).throw(OSError("timeout")))
    mail.deliver_due()
    monkeypatch.setattr(mail, "deliver", real_deliver)
    db.session.execute(db.update(QueuedMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert mail.deliver_due() == 1
    assert recipients(outbox) == ["shopper@example.ma"]


def test_claimed_messages_are_not_taken_twice_until_their_claim_expires(app, queued):
    place_test_order({ProductFactory(): 1})
    db.session.commit()
    token, claimed = mail.claim_due()
    assert len(claimed) == 1
    assert mail.claim_due()[1] == []  # another sender finds nothing to take
    # The first sender died: once its claim has expired the message is taken again.
    db.session.execute(db.update(QueuedMail).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    again, reclaimed = mail.claim_due()
    assert [row.id for row in reclaimed] == [row.id for row in claimed] and again != token


def test_the_commit_runs_the_send_job_inline_without_a_broker(app, monkeypatch, outbox):
    """No JOBS_BROKER_URL (development, tests): the send-mail job runs right after the
    commit, in its own application context; no thread is started."""
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", mail.QUEUE)
    threads = threading.active_count()
    place_test_order({ProductFactory(): 1})
    db.session.commit()
    assert recipients(outbox) == ["shopper@example.ma"]
    db.session.expire_all()
    assert queue_size() == 0
    assert threading.active_count() == threads


def test_production_queues_by_default():
    import config

    assert config.ProductionConfig.MAIL_DELIVERY == mail.QUEUE  # MAIL_DELIVERY is not set here
    assert config.DevelopmentConfig.MAIL_DELIVERY == mail.AFTER_COMMIT


def test_the_admin_sees_given_up_mails_and_sends_one_again(app, queued, outbox):
    from marketplace.audit import AuditLogEntry
    from tests.factories import AdminFactory
    from tests.helpers import login, post_form
    from tests.world import given_up_mail

    row = given_up_mail("salma@example.ma")
    place_test_order({ProductFactory(): 1})  # one waiting message too
    db.session.commit()
    row_id = row.id
    admin = app.test_client()
    login(admin, AdminFactory())
    for locale in ("en", "fr", "ar"):
        html = admin.get(f"/{locale}/admin/mail").get_data(as_text=True)
        assert "salma@example.ma" in html and "SMTPServerDisconnected" in html
        assert "shopper@example.ma" not in html  # waiting ones are on the other tab
    assert "Abandonnés (1)" in admin.get("/fr/admin/mail").get_data(as_text=True)
    waiting = admin.get("/en/admin/mail?show=waiting").get_data(as_text=True)
    assert "shopper@example.ma" in waiting and "salma@example.ma" not in waiting

    url = f"/en/admin/mail/{row_id}/send-again"
    assert admin.post(url).status_code == 400  # no CSRF token
    response = post_form(admin, url, {}, form_url="/en/admin/mail", follow_redirects=True)
    assert "will be sent again" in response.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(QueuedMail, row_id)
    assert again.failed_at is None and again.attempts == 0
    entry = db.session.scalar(
        db.select(AuditLogEntry).where(AuditLogEntry.action == "mail.send_again")
    )
    assert entry.target_id == row_id and "SMTPServerDisconnected" in entry.reason
    assert mail.deliver_due() == 2
    assert recipients(outbox) == ["salma@example.ma", "shopper@example.ma"]
    # Sent meanwhile: sending it again says so and changes nothing.
    gone = post_form(admin, url, {}, form_url="/en/admin/mail", follow_redirects=True)
    assert "no longer in the queue" in gone.get_data(as_text=True)
    assert admin.post("/en/admin/mail/abc/send-again").status_code == 404
