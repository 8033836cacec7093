"""Browser journeys: Playwright driving Debian's chromium against pytest-django's live server.

One chromium runs for the whole session; each journey opens its own contexts (a fresh profile:
no cookies, no storage) through the ``journey`` fixture. ``journey.check(page, name)`` saves a
screenshot under ``test-artifacts/screenshots/<journey>/``, runs axe-core on the page and fails on
any Content-Security-Policy violation the browser reported since the page opened; a journey fails
if it loaded a page (any URL route) it never checked.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import Resolver404, resolve
from django_otp import DEVICE_ID_SESSION_KEY

from clinic.two_factor import services as two_factor
from tests.conftest import IN_CI
from tests.two_factor import give_authenticator, next_code

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots a person can look at after a run, one folder per journey.
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
# Installed by bin/test from package-lock.json (npm ci).
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = {"serious", "critical"}
DESK = {"viewport": {"width": 1200, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# The narrowest phone still common (iPhone SE and mini): a row of links that fits 390 may not.
SMALL_PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1024, "height": 1366}, "has_touch": True}

_AXE_RUN = """async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map((node) => node.target.join(" ")),
  }));
}"""
# After a Tab: whether ``el`` has the focus now, and whether a sighted keyboard user can see where
# the focus is (an outline of 2px or more, or a box shadow, on the focused element).
_FOCUS_STOP = """(el) => {
  const focused = document.activeElement;
  if (!focused || focused === document.body) return {reached: false, visible: true, what: "the page"};
  const style = getComputedStyle(focused);
  const visible = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== "none";
  return {reached: focused === el, visible: visible, what: focused.outerHTML.slice(0, 120)};
}"""


# Registered before any script of a page runs: every violation of the Content-Security-Policy the
# browser reports (a blocked inline script, style or handler, a resource from elsewhere).
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    event.effectiveDirective + " blocked " + (event.blockedURI || "inline") + " at " +
    (event.sourceFile || document.location.pathname) + ":" + event.lineNumber
  );
});
"""


def csp_violations(page) -> list[str]:
    """What the page reported since it loaded, and what the console said about the policy."""
    reported = page.evaluate("window.__cspViolations || []")
    return [*reported, *getattr(page, "csp_console", [])]


def watch_csp(page) -> None:
    page.add_init_script(script=_WATCH_CSP)
    page.csp_console = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.csp_console.append(message.text),
    )


def _unavailable(message: str) -> None:
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable("Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium)")
    if not AXE.exists():
        _unavailable("axe-core is needed in node_modules/: run `npm ci` (bin/test does when npm is installed)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread while the browser
    # is open; the ORM calls tests make meanwhile are ordinary synchronous calls, so Django's
    # async-safety guard is lifted for that time only.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def route_of(url: str) -> str:
    """The URL pattern's name of a page ("episode_detail"), or its path when none resolves."""
    path = urlsplit(url).path
    try:
        return resolve(path).view_name
    except Resolver404:
        return path


def axe_violations(page) -> list[dict]:
    """The serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does
        # not govern (a <script> tag added to the page would be refused as inline script).
        page.evaluate(f"() => {{ {AXE.read_text()}\n }}")
    return [v for v in page.evaluate(_AXE_RUN, AXE_OPTIONS) if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['impact']}: {v['id']} ({v['help']}), {v['count']} element(s): {'; '.join(v['targets'])}"
        for v in violations
    )


# On a phone-sized screen, the elements that push the page wider than the screen (the reader
# would have to scroll sideways); content inside its own scrolling box does not count.
# A mobile browser shrinks a too-wide page to fit, so the screen, not the window, is the measure.
SIDEWAYS_OVERFLOW = """() => {
  const width = Math.min(window.screen.width, window.innerWidth);
  if (width > 480 || document.documentElement.scrollWidth <= width + 1) return [];
  return [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}.${e.className} ${(e.innerText || "").slice(0, 40)}`);
}"""


class Journey:
    """The browser side of one journey: its contexts, its screenshots, its accessibility checks."""

    def __init__(self, browser, base_url: str, folder: str):
        self.browser = browser
        self.base_url = base_url
        self.folder = ARTIFACTS / folder
        self.contexts = []
        self.loaded: dict[str, str] = {}  # route -> first URL path loaded
        self.checked: set[str] = set()

    def url(self, path: str) -> str:
        """An absolute address on the live server for ``path``, or for a link from a message
        (which names the configured SITE_URL, not the live server)."""
        if "://" in path:
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.base_url + path

    def open(self, **options):
        """A new page in a fresh context (desk-sized unless told)."""
        context = self.browser.new_context(**{**DESK, "locale": "en-US", **options})
        self.contexts.append(context)
        page = context.new_page()
        watch_csp(page)
        page.on("load", lambda loaded: self.loaded.setdefault(route_of(loaded.url), urlsplit(loaded.url).path))
        return page

    def close(self, page) -> None:
        """Close the page's context, as a patient closing the browser does."""
        page.context.close()
        self.contexts.remove(page.context)

    def screenshot(self, page, name: str) -> None:
        """Only the screenshot: for a page whose markup a check has already seen in this state
        (axe-core takes a second or more a page, most of a journey's time)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)

    def check(self, page, name: str) -> None:
        """Screenshot the page and fail on serious or critical accessibility problems, on any
        Content-Security-Policy violation, and on a page wider than a phone's screen."""
        self.screenshot(page, name)
        overflow = page.evaluate(SIDEWAYS_OVERFLOW)
        assert not overflow, f"{name} ({urlsplit(page.url).path}) is wider than the screen: {overflow}"
        self.checked.add(route_of(page.url))
        blocked = csp_violations(page)
        assert not blocked, f"Content-Security-Policy on {name} ({urlsplit(page.url).path}):\n" + "\n".join(blocked)
        violations = axe_violations(page)
        assert not violations, f"axe-core on {name} ({urlsplit(page.url).path}):\n{describe(violations)}"

    def sign_in(self, page, user) -> None:
        """Signed in as the person, their authenticator app verified (they are given an app first
        if their role asks for one and they have none yet), and on their dashboard.

        The session is made here and handed to the browser as its cookie: the sign-in forms are
        what the two-factor and role-dashboard journeys walk through and check; every other
        journey only starts signed in, and walking the forms again cost each of them a second or
        more."""
        device = two_factor.authenticator_of(user)
        if device is None and two_factor.is_required(user):
            device = give_authenticator(user)
        client = Client()
        client.force_login(user, backend="clinic.backends.StaffBackend")
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base_url}])
        page.goto(self.url("/"))
        assert urlsplit(page.url).path == "/", page.url

    def enter_code(self, page, user) -> None:
        """On the sign-in code page: type the code the person's app shows now, and sign in."""
        if urlsplit(page.url).path != "/accounts/login/code/":
            return
        self.check(page, "sign-in-code")
        page.get_by_label("Code from your authenticator app").fill(next_code(two_factor.authenticator_of(user)))
        page.locator("main").get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    def unchecked(self) -> dict[str, str]:
        return {route: path for route, path in self.loaded.items() if route not in self.checked}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.call_passed = report.passed


@pytest.fixture
def journey(request, browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # handout PDFs of this journey only
    folder = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    trip = Journey(browser, live_server.url, folder)
    yield trip
    for context in trip.contexts:
        context.close()
    if getattr(request.node, "call_passed", False):
        missing = trip.unchecked()
        assert not missing, f"pages loaded but never checked with journey.check(): {missing}"


# --- Keyboard only ------------------------------------------------------------------------------


def focus_is_on(locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


def tab_to(page, locator, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, checking at every stop that the
    focus can be seen."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        stop = locator.evaluate(_FOCUS_STOP)
        assert stop["visible"], f"the focus is not visible on {stop['what']}"
        if stop["reached"]:
            return
    raise AssertionError(f"{limit} presses of {key} never reached {locator}")


def press_and_load(page, key: str = "Enter") -> None:
    """Press a key that submits a form or follows a link, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)
