"""The site in a real browser: Debian's Chromium driven by playwright against a live server.

Sign up → onboarding → rate 5 titles → personal picks that differ from the anonymous popular list →
"not interested" → the title is gone for good → change a rating without a page reload (mouse and
keyboard). The time from sign-up to the first personalised list is measured and written to
test-artifacts/browser-timing.txt; screenshots of the main pages (desktop and 375 px) go to
test-artifacts/screenshots/.
"""
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from ratings.models import Dismissal, Rating

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("STREAMREC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
SHOTS = ARTIFACTS / "screenshots"
# Movies with most ratings in the embedded MovieLens data kept for the test (about 40,000 ratings).
SEED_MOVIES = 400
PASSWORD = "a-Str0ng-password!"


@pytest.fixture
def seeded(transactional_db):
    """Real MovieLens ratings of the best known movies, a few streaming and TMDB records, a trained model."""
    from catalog.demo import load_demo, read_embedded_movielens
    from recommender.training import train_model_version

    from .fixtures.pipeline import DISNEY, NETFLIX, TMDB_CREDITS, TMDB_KEYWORDS, TMDB_METADATA, imported

    cache.clear()
    started = time.perf_counter()
    frame = read_embedded_movielens()
    top = frame["movieId"].value_counts().index[:SEED_MOVIES]
    load_demo(frame[frame["movieId"].isin(top)])
    imported("streaming", NETFLIX, DISNEY)
    imported("tmdb", TMDB_METADATA, TMDB_CREDITS, TMDB_KEYWORDS)
    result = train_model_version(params={"n_factors": 32, "n_epochs": 15})
    assert result.activated
    get_user_model().objects.create_user("staffer", password=PASSWORD, is_staff=True)
    yield {"seconds": time.perf_counter() - started, "ratings": Rating.objects.count()}
    cache.clear()
    # The live server's request threads may leave a connection behind; the test database is dropped next.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture
def browser(monkeypatch):
    # playwright's sync API keeps an event loop in this thread; the test's own ORM checks are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        watched = CSPWatchingBrowser(browser)
        yield watched
        browser.close()
    assert not watched.violations, f"Content-Security-Policy violations: {watched.violations}"


# Every page of every context reports what the Content-Security-Policy blocked (the site runs with it on).
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) => console.error(
  "CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in " + e.documentURI));"""


class CSPWatchingBrowser:
    """The browser, whose contexts collect every ``securitypolicyviolation`` event of their pages."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("page", self._watch)
        return context

    def _watch(self, page):
        page.on("console", lambda message: self.violations.append(message.text) if message.text.startswith("CSP violation") else None)


def wait_js(page, expression: str, arg=None, timeout: float = 30.0):
    """Wait until ``expression`` is truthy in the page. Playwright's wait_for_function polls with eval,
    which the site's Content-Security-Policy forbids; page.evaluate runs through the browser's devtools."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression, arg):
                return
        except Error:
            pass  # not there yet
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {expression}")
        page.wait_for_timeout(100)


def shot(page, name: str, full_page: bool = True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def card_ids(page, selector: str) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.titleId)")]


def test_sign_up_onboard_rate_and_get_personal_picks(live_server, seeded, browser):
    shutil.rmtree(SHOTS, ignore_errors=True)
    base = live_server.url
    errors: list[str] = []
    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(15_000)

    # Anonymous: the popular list.
    page.goto(base + "/")
    popular = card_ids(page, "[data-row=popular] li.card")
    assert len(popular) == 12
    shot(page, "home-anonymous-desktop")

    # Sign up → onboarding.
    page.goto(base + "/accounts/signup/")
    shot(page, "signup-desktop")
    started = time.perf_counter()
    page.fill("#id_username", "newcomer")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/recommendations/welcome/")
    assert page.locator("h1").inner_text() == "Rate a few titles you have seen"
    shot(page, "onboarding-desktop")

    # Rate 5 titles: loves the first three, dislikes the next two (radio labels = half stars 1..10).
    scores = [10, 9, 10, 2, 3]
    onboarding_ids = card_ids(page, ".onboarding-grid li.card")[:5]
    for count, (title_id, half_stars) in enumerate(zip(onboarding_ids, scores, strict=True), start=1):
        page.click(f"label[for=star-{title_id}-{half_stars}]")
        wait_js(page, "n => document.querySelector('[data-rated]').textContent.trim() === String(n)", arg=count)
    assert page.locator("[data-onboarding-done]").inner_text() == "Show my recommendations"
    assert dict(Rating.objects.filter(user__username="newcomer").values_list("title_id", "score")) == {
        title_id: half / 2 for title_id, half in zip(onboarding_ids, scores, strict=True)
    }
    shot(page, "onboarding-rated-desktop")

    # First personal list.
    page.click("[data-onboarding-done]")
    page.wait_for_selector("[data-row=top] li.card")
    to_first_list = time.perf_counter() - started
    assert page.locator("#row-top").inner_text() == "Top picks for you"
    personal = card_ids(page, "[data-row=top] li.card")
    assert len(personal) == 12
    assert personal != popular and len(set(personal) - set(popular)) >= 3
    assert not set(personal) & set(onboarding_ids)
    assert "for you" in page.locator("[data-row=top] li.card").first.inner_text()
    shot(page, "home-personal-desktop")

    # "Not interested" removes the card at once, and it never comes back.
    page.goto(base + "/recommendations/")
    first = card_ids(page, "[data-recommendations] li.card")[0]
    page.click(f"[data-recommendations] li[data-title-id='{first}'] form[data-ajax=hide] button")
    page.wait_for_selector(f"[data-recommendations] li[data-title-id='{first}']", state="detached")
    assert page.locator("[data-toast]").inner_text().startswith("Got it")
    assert Dismissal.objects.filter(user__username="newcomer", title_id=first).exists()
    page.reload()
    assert first not in card_ids(page, "[data-recommendations] li.card")
    page.goto(base + "/")
    assert first not in card_ids(page, "li.card")
    page.goto(base + "/recommendations/")
    shot(page, "for-you-desktop")

    # Change a rating without reloading: mouse on "My ratings", keyboard on a title page.
    page.goto(base + "/ratings/")
    page.evaluate("window.noReload = true")
    changed = onboarding_ids[3]
    page.click(f"label[for=star-{changed}-7]")
    wait_js(page, f"document.querySelector(\"li[data-title-id='{changed}'] [data-stars-status]\").textContent.startsWith('Saved')")
    assert page.evaluate("window.noReload") is True
    assert Rating.objects.get(user__username="newcomer", title_id=changed).score == 3.5
    shot(page, "my-ratings-desktop")

    page.goto(base + f"/titles/{onboarding_ids[0]}/")
    page.evaluate("window.noReload = true")
    page.focus(f"#star-{onboarding_ids[0]}-10")  # the checked 5-star radio
    page.keyboard.press("ArrowLeft")
    wait_js(page, "document.querySelector('[data-stars-status]').textContent === 'Saved: 4.5 stars'")
    assert page.evaluate("window.noReload") is True
    assert Rating.objects.get(user__username="newcomer", title_id=onboarding_ids[0]).score == 4.5
    assert page.locator("[data-stars-value]").inner_text() == "4.5 ★"
    page.click("[data-stars-clear]")
    wait_js(page, "document.querySelector('[data-stars-status]').textContent === 'Rating cleared'")
    assert not Rating.objects.filter(user__username="newcomer", title_id=onboarding_ids[0]).exists()
    page.click(f"label[for=star-{onboarding_ids[0]}-10]")
    wait_js(page, "document.querySelector('[data-stars-status]').textContent === 'Saved: 5.0 stars'")
    shot(page, "title-desktop")

    # Watchlist from a title page, then the remaining main pages.
    page.click("form[data-ajax=watchlist] button")
    wait_js(page, "document.querySelector('form[data-ajax=watchlist] button').textContent.includes('On your watchlist')")
    pages = {
        "browse": "/titles/?sort=predicted",
        "search-person": "/titles/?person=Kirsten",
        "watchlist": "/ratings/watchlist/",
        "know-you": "/recommendations/know-you/",
        "insights": "/insights/",
        "account": "/accounts/me/",
    }
    for name, path in pages.items():
        page.goto(base + path)
        if name == "insights":
            wait_js(page, "window.chartsReady === true")
        shot(page, f"{name}-desktop")
    page.goto(base + "/insights/")
    wait_js(page, "window.chartsReady === true")
    assert page.evaluate("Chart.instances ? Object.keys(Chart.instances).length : 0") >= 6

    # The same pages on a 375 px phone.
    phone = browser.new_context(viewport={"width": 375, "height": 812}, storage_state=desktop.storage_state(), is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.on("pageerror", lambda exc: errors.append(str(exc)))
    for name, path in {"home-personal": "/", "onboarding": "/recommendations/welcome/", "for-you": "/recommendations/",
                       "title": f"/titles/{onboarding_ids[0]}/", "browse": "/titles/", "my-ratings": "/ratings/", "insights": "/insights/"}.items():
        mobile.goto(base + path)
        if name == "insights":
            wait_js(mobile, "window.chartsReady === true")
        # A phone widens its layout viewport to fit wide content, so compare with the 375 px screen.
        overflow = mobile.evaluate("Math.max(document.documentElement.scrollWidth, window.innerWidth) - 375")
        assert overflow <= 1, f"{path} scrolls sideways on a phone by {overflow}px"
        shot(mobile, f"{name}-375")
    phone.close()

    # Staff pages.
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    staff_page = staff.new_page()
    staff_page.goto(base + "/accounts/login/")
    staff_page.fill("#id_username", "staffer")
    staff_page.fill("#id_password", PASSWORD)
    staff_page.click("form.form button[type=submit]")
    staff_page.goto(base + "/staff/models/")
    wait_js(staff_page, "window.chartsReady === true")
    shot(staff_page, "staff-models-desktop")
    staff_page.goto(base + "/staff/imports/")
    shot(staff_page, "staff-imports-desktop")
    staff.close()
    desktop.close()

    assert not errors, errors
    ARTIFACTS.mkdir(exist_ok=True)
    timing = {"signup_to_first_personal_list_seconds": round(to_first_list, 2), "seed_and_train_seconds": round(seeded["seconds"], 1),
              "seed_ratings": seeded["ratings"]}
    (ARTIFACTS / "browser-timing.txt").write_text(json.dumps(timing, indent=2) + "\n")
    print(f"\nsign-up → first personalised list: {to_first_list:.2f} s (seed and train {seeded['seconds']:.1f} s)")
    assert to_first_list < 120


PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# What a page must satisfy on a 375 px phone: nothing wider than the screen (wide content scrolls inside
# its own container: card rows, chip bars, staff tables), every header link shown in view with a tap
# target of 32 px or more (the links behind "Menu" are checked opened in the first-five-minutes test),
# charts inside their cards.
PHONE_CHECK = """() => {
  const width = window.innerWidth, problems = [];
  if (document.documentElement.scrollWidth > width) problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
  for (const el of document.querySelectorAll('.nav a, .nav button')) {
    if (!el.getClientRects().length) continue;  // in the closed phone menu: not shown
    const r = el.getBoundingClientRect();
    if (r.left < 0 || r.right > width) problems.push(`nav "${el.textContent.trim()}" out of view`);
    if (r.height < 32) problems.push(`nav "${el.textContent.trim()}" is ${Math.round(r.height)}px tall`);
  }
  for (const canvas of document.querySelectorAll('canvas')) {
    const r = canvas.getBoundingClientRect(), card = canvas.closest('.chart-card').getBoundingClientRect();
    if (r.width < 100 || r.left < card.left || r.right > card.right) problems.push(`chart ${r.width}px wide in a ${card.width}px card`);
  }
  return {width, problems};
}"""


def phone_page(browser, base: str, username: str | None, errors: list[str]):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(15_000)
    if username:
        page.goto(base + "/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("form.form button[type=submit]")
        page.wait_for_url(base + "/")
    return page


def test_main_pages_fit_a_375px_phone(live_server, seeded, browser):
    from django.db import connection
    from django.db.models import Count

    from catalog.models import Person, Title

    # ORM calls made while playwright runs use a connection of their own (another context); after an
    # earlier browser test it was terminated by that test's teardown, so start from a fresh one.
    connection.close()
    base = live_server.url
    titles = list(Title.objects.annotate(n=Count("ratings")).order_by("-n", "pk")[:12])
    reader = get_user_model().objects.create_user("reader", password=PASSWORD)
    Rating.objects.bulk_create(Rating(user=reader, title=t, score=s) for t, s in zip(titles, [5, 4.5, 4, 2, 3.5, 1.5, 5, 3, 4, 2.5], strict=False))
    title = titles[0]
    person = Person.objects.annotate(n=Count("credits")).order_by("-n", "pk").first()
    assert person is not None
    errors: list[str] = []
    pages = {
        None: {"home-anonymous": "/", "browse-anonymous": "/titles/", "search": "/titles/?q=the", "title-anonymous": f"/titles/{title.pk}/",
               "person": f"/titles/people/{person.pk}/", "login": "/accounts/login/", "signup": "/accounts/signup/",
               "insights": "/insights/", "404": "/no-such-page/"},
        "reader": {"home-personal": "/", "browse-filters": "/titles/?sort=predicted&genre=Drama", "for-you-filters": "/recommendations/",
                   "title": f"/titles/{titles[11].pk}/", "watchlist": "/ratings/watchlist/", "my-ratings": "/ratings/",
                   "not-interested": "/ratings/not-interested/", "onboarding": "/recommendations/welcome/",
                   "know-you": "/recommendations/know-you/", "account": "/accounts/me/"},
        "staffer": {"staff-models": "/staff/models/", "staff-imports": "/staff/imports/"},
    }
    failures = {}
    for username, paths in pages.items():
        page = phone_page(browser, base, username, errors)
        for name, path in paths.items():
            response = page.goto(base + path)
            assert response.status == (404 if name == "404" else 200), path
            if name in ("insights", "staff-models"):
                wait_js(page, "window.chartsReady === true")
            # Filters, chart data and the CSV import open: they must fit too.
            page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
            result = page.evaluate(PHONE_CHECK)
            if result["width"] != 375:  # a phone widens its layout viewport to fit content that is too wide
                result["problems"].insert(0, f"layout viewport grew to {result['width']}px")
            if result["problems"]:
                failures[path] = result["problems"]
            shot(page, f"mobile-{name}")
        if username == "reader":
            # The half-star widget by touch: a tap on the left half of the 4th star saves 3.5 stars.
            page.goto(base + "/ratings/")
            label = page.locator(f"label[for=star-{titles[3].pk}-7]")
            box = label.bounding_box()
            assert box["width"] >= 16 and box["height"] >= 32, box
            label.tap()
            wait_js(page, f"document.querySelector(\"li[data-title-id='{titles[3].pk}'] [data-stars-status]\").textContent === 'Saved: 3.5 stars'")
            assert Rating.objects.get(user=reader, title=titles[3]).score == 3.5
        page.context.close()
    assert not failures, failures
    assert not errors, errors
