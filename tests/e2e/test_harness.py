"""The browser harness itself can fail: an external request, a CSP violation and an
accessibility violation are all caught."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Browsing, axe_violations, horizontal_overflow, keyboard_problems

pytestmark = pytest.mark.e2e


def test_a_request_leaving_127_0_0_1_is_blocked_and_reported(browser, live_server):
    session = Browsing(browser, live_server)
    page = session.new_page()
    page.goto("/fr/")
    with page.expect_event("requestfailed", lambda r: "203.0.113.7" in r.url):
        page.evaluate(
            """() => { const img = document.createElement('img');
                       img.src = 'http://203.0.113.7/pixel.png'; img.alt = '';
                       document.body.append(img); }"""
        )
    problems = session.close()
    assert any("203.0.113.7/pixel.png" in p for p in problems), problems


def test_inline_script_is_refused_and_reported(browser, live_server):
    session = Browsing(browser, live_server)
    page = session.new_page()
    page.goto("/fr/")
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.inlineRan = true;'; document.body.append(s); }"""
    )
    assert page.evaluate("() => window.inlineRan === undefined")
    problems = session.close()
    assert any(p.startswith("CSP violation") for p in problems), problems


def test_axe_and_overflow_checks_see_problems(page):
    page.goto("/en/")
    assert axe_violations(page) == []
    page.evaluate(
        """() => { const i = document.createElement('input'); i.type = 'text';
                   i.style.cssText = 'width: 3000px'; document.querySelector('main').append(i);
                   const im = document.createElement('img'); im.src = '/static/img/favicon.svg';
                   document.querySelector('main').append(im); }"""
    )
    ids = {v["id"] for v in axe_violations(page)}
    assert {"label", "image-alt"} <= ids
    assert horizontal_overflow(page) > 0


def test_keyboard_check_sees_a_control_without_visible_focus(page):
    page.goto("/en/login")
    page.evaluate(
        """() => { const b = document.createElement('button'); b.textContent = 'Hidden focus';
                   b.style.outline = 'none'; document.querySelector('main').append(b); }"""
    )
    problems = keyboard_problems(page, "/en/login")
    assert problems == ['/en/login: no visible focus on button "Hidden focus"'], problems
