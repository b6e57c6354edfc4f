"""The audit log's filter offers each action the log holds once, sorted (read along the index
on the action, issue #11: the log has a million rows at bench size), and filters by it."""

from __future__ import annotations

import re

from marketplace import audit
from marketplace.admin import views as admin_views
from marketplace.audit import record_audit, recorded_actions
from marketplace.extensions import db
from tests.factories import AdminFactory
from tests.helpers import login


def options(page: str) -> list[str]:
    select = re.search(r'<select id="filter-action" name="action">(.*?)</select>', page, re.S)
    assert select
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_the_filter_lists_each_recorded_action_once_and_filters_by_it(app):
    admin = AdminFactory()
    assert recorded_actions() == []
    for action in ("mail.send_again", "cooperative.verified", "mail.send_again", "label.changed"):
        for n in range(3):
            record_audit(admin, action, target_type="test", target_id=n)
    db.session.commit()
    assert recorded_actions() == ["cooperative.verified", "label.changed", "mail.send_again"]

    client = app.test_client()
    login(client, admin)
    page = client.get("/en/admin/audit").get_data(as_text=True)
    assert options(page) == ["", "cooperative.verified", "label.changed", "mail.send_again"]
    assert page.count("<code>mail.send_again</code>") == 6

    filtered = client.get("/en/admin/audit?action=label.changed").get_data(as_text=True)
    assert filtered.count("<code>label.changed</code>") == 3
    assert "<code>mail.send_again</code>" not in filtered
    assert '<option value="label.changed" selected>' in filtered
    unknown = client.get("/en/admin/audit?action=nothing.like.this").get_data(as_text=True)
    assert unknown.count("<code>mail.send_again</code>") == 6  # not a recorded action: all


def test_a_long_log_is_counted_only_a_few_pages_ahead_and_paged_to_its_end(app, monkeypatch):
    """Counting a log of a million rows would read all of it for each page: the pager counts
    PAGES_COUNTED_AHEAD pages past the one shown and says there are more."""
    monkeypatch.setattr(admin_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(audit, "PAGES_COUNTED_AHEAD", 1)
    admin = AdminFactory()
    for n in range(10):
        record_audit(admin, "label.changed", target_type="test", target_id=n, reason=f"r{n}")
    record_audit(admin, "mail.send_again", target_type="test", target_id=99)
    db.session.commit()
    client = app.test_client()
    login(client, admin)

    first = client.get("/en/admin/audit?action=label.changed").get_data(as_text=True)
    assert "Page 1 of more than 2" in first
    assert 'rel="next" href="/en/admin/audit?action=label.changed&amp;page=2"' in first
    assert first.count("<code>label.changed</code>") == 2
    fourth = client.get("/en/admin/audit?action=label.changed&page=4").get_data(as_text=True)
    assert "Page 4 of 5" in fourth and 'rel="next"' in fourth  # the end is counted now
    last = client.get("/en/admin/audit?action=label.changed&page=5").get_data(as_text=True)
    assert "Page 5 of 5" in last and 'rel="next"' not in last
    assert ">r0<" in last and ">r1<" in last  # the oldest entries, on the last page
    short = client.get("/en/admin/audit?action=mail.send_again").get_data(as_text=True)
    assert 'class="pagination"' not in short
