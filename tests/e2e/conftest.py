"""Real-browser fixtures: the app served on 127.0.0.1 by werkzeug in a thread (against the
test database of this worker), Debian's Chromium driven by Playwright, a fresh browser
context per test that fails the test when a request leaves 127.0.0.1, plus helpers for
axe-core, layout checks and screenshots.

Without Chromium (or Playwright) the browser tests are skipped, except with ``CI=true``
where they fail: CI must run them."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
]
HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "vendor" / "axe.min.js"
ARTIFACTS = HERE.parent / "artifacts"
LOCAL_HOSTS = {"127.0.0.1"}
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 20_000  # generous: CI machines and this one are small and shared


def pytest_collection_modifyitems(config, items):
    """Browser tests are skipped when no browser can be driven, except with CI=true, where
    the ``browser`` fixture fails them instead."""
    problem = _browser_problem()
    if not problem or os.environ.get("CI") == "true":
        return
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=problem))


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (`make browser` installs Debian's chromium)"
    return None


# --- the application on a real socket -------------------------------------------------


@dataclass
class LiveServer:
    url: str
    host: str
    port: int


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", "127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the browser ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    problem = _browser_problem()
    if problem:
        # Only reached with CI=true (otherwise the tests were skipped at collection).
        pytest.fail(f"CI=true and the browser tests cannot run: {problem}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class Guard:
    """What a browser context did that it must not: requests leaving 127.0.0.1, JavaScript
    errors, Content-Security-Policy violations."""

    external: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request left 127.0.0.1: {url}" for url in self.external]
            + [f"JavaScript error: {msg}" for msg in self.page_errors]
            + [f"CSP violation: {msg}" for msg in self.csp]
        )


class Browsing:
    """Opens fresh browser contexts on the live server and checks each one's guard."""

    def __init__(self, browser, server: LiveServer):
        self.browser = browser
        self.server = server
        self.contexts: list[tuple[object, Guard]] = []

    def new_page(self, *, viewport: dict | None = None, locale: str = "fr-MA"):
        from tests.e2e.shop import release_database

        release_database()  # the live server must be able to write (SQLite locks)
        guard = Guard()
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport=viewport or DESKTOP,
            locale=locale,
            timezone_id="Africa/Casablanca",
            service_workers="block",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)

        def only_local(route, request):
            host = urlsplit(request.url).hostname
            if request.url.startswith(("data:", "blob:", "about:")) or host in LOCAL_HOSTS:
                route.continue_()
            else:
                guard.external.append(request.url)
                route.abort("blockedbyclient")

        context.route("**/*", only_local)
        context.on("weberror", lambda error: guard.page_errors.append(str(error.error)))

        def on_console(message):
            if message.type == "error" and "Content Security Policy" in message.text:
                guard.csp.append(message.text)

        context.on("console", on_console)
        self.contexts.append((context, guard))
        return context.new_page()

    def close(self) -> list[str]:
        problems: list[str] = []
        for context, guard in self.contexts:
            context.close()
            problems += guard.problems()
        return problems


@pytest.fixture
def browsing(browser, live_server) -> Iterator[Browsing]:
    """``browsing.new_page(viewport=PHONE)``: a page in a fresh context; the test fails when
    any of its contexts requested something outside 127.0.0.1 or hit a JS/CSP error."""
    session = Browsing(browser, live_server)
    yield session
    problems = session.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(browsing):
    """A desktop page in a fresh context."""
    return browsing.new_page()


# --- checks ---------------------------------------------------------------------------


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored, injected through the DevTools protocol so the page's CSP
    is untouched) and return the violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                resultTypes: ['violations'],
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                'best-practice']},
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(
                    n => ({target: n.target, summary: n.failureSummary})),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in impacts]


def assert_accessible(page, label: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {label or page.url}:\n" + json.dumps(
        violations, ensure_ascii=False, indent=1
    )


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page scrolls sideways (0 when it does not)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def sideways_scroll(page) -> str | None:
    """None when the page fits its viewport's width, else what overflows."""
    # After a click the new page's DOM can be there before its stylesheet (a loaded machine):
    # measured then, an unstyled table overflows although the styled page does not.
    page.wait_for_load_state("load")
    overflow = horizontal_overflow(page)
    if overflow <= 0:
        return None
    culprits = page.evaluate(
        """() => {
            const w = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width && (r.right > w + 0.5 || r.left < -0.5);
            });
            // the innermost ones are the culprits, their ancestors only contain them
            return wide.filter(e => !wide.some(o => o !== e && e.contains(o)))
              .slice(0, 6)
              .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                        + (typeof e.className === 'string' && e.className.trim()
                           ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                        + ' ' + Math.round(e.getBoundingClientRect().width) + 'px');
        }"""
    )
    return (
        f"{page.url} scrolls {overflow}px sideways at {page.viewport_size['width']}px; "
        f"overflowing: {culprits}"
    )


def assert_no_horizontal_scroll(page) -> None:
    problem = sideways_scroll(page)
    if problem:
        pytest.fail(problem, pytrace=False)


def box(page, selector: str) -> dict:
    """Bounding box of the first visible element matching ``selector``."""
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not visible on {page.url}"
    return found


def focus_is_visible(page) -> bool:
    """Whether the focused element draws a visible focus indicator (outline or box-shadow)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return false;
            const s = getComputedStyle(el);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
            return outline || (s.boxShadow && s.boxShadow !== 'none');
        }"""
    )


def tab_until(page, predicate_js: str, max_tabs: int = 60) -> bool:
    """Press Tab until ``predicate_js`` (a JS function of the focused element) is true."""
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({predicate_js})(document.activeElement)"):
            return True
    return False


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts/ (git-ignored); each run overwrites the screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def screenshot(page, directory: Path, name: str) -> Path:
    """A full-page screenshot (JPEG: several times faster to encode than PNG)."""
    path = directory / f"{_SAFE.sub('-', name)}.jpg"
    page.screenshot(path=str(path), full_page=True, type="jpeg", quality=80)
    return path


_MARK_FOCUSABLES = """() => {
    const selector = 'a[href], button, input, select, textarea, summary, [tabindex]';
    // checkVisibility: also false inside a closed <details> (content-visibility: hidden)
    const shown = el => el.checkVisibility({visibilityProperty: true})
                        && !el.closest('[inert], [aria-hidden=true]');
    const all = [...document.querySelectorAll(selector)].filter(el =>
        !el.disabled && el.tabIndex >= 0 && el.type !== 'hidden' && shown(el)
        && !(el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS'));
    all.forEach((el, i) => { el.dataset.e2eFocus = String(i); });
    return all.map(el => ({
        idx: el.dataset.e2eFocus,
        radio: el.type === 'radio' ? (el.form ? el.form.id || 'f' : '') + ':' + el.name : null,
        what: el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '')
              + (el.id ? '#' + el.id : '') + ' "' + (el.innerText || el.value || '').trim()
              .slice(0, 30) + '"',
    }));
}"""


def keyboard_problems(page, label: str) -> list[str]:
    """Tab through the whole page, just loaded: every visible control must be reached, and
    each must show where the focus is."""
    focusables = page.evaluate(_MARK_FOCUSABLES)
    reached: dict[str, bool] = {}
    last = None
    for _ in range(3 * len(focusables) + 10):
        page.keyboard.press("Tab")
        idx = page.evaluate("() => document.activeElement?.dataset.e2eFocus ?? null")
        if idx is None:
            if reached:  # the focus left the page's controls: the cycle is complete
                break
            continue
        if idx == last:  # a date input's day, month and year take one Tab each
            continue
        if idx in reached:
            break
        last = idx
        reached[idx] = focus_is_visible(page)
    problems = []
    reached_radio_groups = {f["radio"] for f in focusables if f["radio"] and f["idx"] in reached}
    for f in focusables:
        if f["idx"] in reached:
            if not reached[f["idx"]]:
                problems.append(f"{label}: no visible focus on {f['what']}")
        elif not (f["radio"] and f["radio"] in reached_radio_groups):
            problems.append(f"{label}: not reachable with Tab: {f['what']}")
    return problems


def choose_filter(page, name: str, **option) -> None:
    """Pick an option of a catalogue filter list. The filters form submits itself when a list
    changes (progressive enhancement), so each choice is one navigation: wait for it, or a
    later check would race the next page's load."""
    form = page.locator("main form.filters")
    if not form.is_visible():  # the filters panel is a <details> folded on phones
        page.locator("main details.filters-panel > summary").click()
    with page.expect_navigation():
        form.locator(f"select[name={name}]").select_option(**option)
