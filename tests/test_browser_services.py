"""My services in a real browser (Debian's Chromium, playwright) on a site with two platform catalogs
imported through the content pipeline (tests/fixtures/streaming/services/ (our own small files in the platforms' schema): Netflix and Disney+ files
in the platforms' own schema, most titles matching MovieLens movies, a few new ones).

Sign up → choose Disney+ alone at onboarding → rate 5 titles → the home rows, "For you" and browse
are non-empty and every title in them is on Disney+ → the title page says where to watch, with
Disney+ marked as the person's own → the switch to everything widens the lists. Screenshots go to
test-artifacts/screenshots-services/.
"""
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections

from catalog.models import Availability, StreamingServices
from ratings.models import Rating

from .test_browser import ARTIFACTS, PASSWORD, SEED_MOVIES, browser, card_ids, wait_js  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERVICES = Path(__file__).parent / "fixtures" / "streaming" / "services"
SHOTS = ARTIFACTS / "screenshots-services"


@pytest.fixture
def two_platforms(transactional_db):
    """Real MovieLens ratings of the best known movies and a trained model; then the two platform
    catalogs imported (their new titles placed in the model by content, as after any import)."""
    from catalog.demo import load_demo, read_embedded_movielens
    from catalog.pipeline import run_import
    from recommender.training import train_model_version

    cache.clear()
    frame = read_embedded_movielens()
    load_demo(frame[frame["movieId"].isin(frame["movieId"].value_counts().index[:SEED_MOVIES])])
    assert train_model_version(params={"n_factors": 32, "n_epochs": 15}).activated
    result = run_import("streaming", [str(SERVICES / "netflix.csv"), str(SERVICES / "disney_plus.csv")], trigger="test")
    assert result.ok and sum(run.rejected for run in result.runs) == 0
    yield {
        "netflix": set(Availability.objects.filter(platform__slug="netflix").values_list("title_id", flat=True)),
        "disney": set(Availability.objects.filter(platform__slug="disney-plus").values_list("title_id", flat=True)),
    }
    cache.clear()
    from django.db import connection

    if connection.vendor == "postgresql":
        # The live server's request threads may leave a connection behind; the test database is dropped next.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")


def read_db(query):
    """``query()`` run in a thread of its own, its connection closed after. In the test body the
    browser's event loop runs in this thread, so Django would keep a connection for that context
    here, which outlives the test and which the teardown (terminating the live server's
    connections) would break for the next browser test."""
    def run():
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def shot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def home_rows(page) -> dict[str, list[int]]:
    keys = page.eval_on_selector_all("section.row[data-row]", "els => els.map(e => e.dataset.row)")
    return {key: card_ids(page, f"section.row[data-row='{key}'] li.card") for key in keys}


def result_count(page) -> int:
    return int(page.locator(".result-count").inner_text().split()[0].replace(",", ""))


def test_choose_one_service_and_every_list_keeps_to_it(live_server, two_platforms, browser):  # noqa: F811
    shutil.rmtree(SHOTS, ignore_errors=True)
    disney, netflix = two_platforms["disney"], two_platforms["netflix"]
    assert len(disney) > 20 and len(netflix) > 20 and disney - netflix and netflix - disney
    base = live_server.url
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(20_000)

    # Sign up → onboarding, where the services are chosen first.
    page.goto(base + "/accounts/signup/")
    page.fill("#id_username", "streamer")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/recommendations/welcome/")
    assert page.locator("#services-heading").inner_text() == "My streaming services"
    assert page.locator(".services-form input[name=platforms]").count() == 2
    page.check(".services-form input[value='disney-plus']")
    shot(page, "onboarding-services")
    page.click(".services-form button[type=submit]")
    page.wait_for_url("**/recommendations/welcome/")
    assert "Your services: Disney+" in page.locator("body").inner_text()
    assert read_db(lambda: list(StreamingServices.objects.get(user__username="streamer").platforms.values_list("slug", flat=True))) == ["disney-plus"]
    assert page.locator(".services-form input[value='disney-plus']").is_checked()

    # Rate 5 titles, as onboarding asks.
    for count, title_id in enumerate(card_ids(page, ".onboarding-grid li.card")[:5], start=1):
        page.click(f"label[for=star-{title_id}-{10 if count <= 3 else 4}]")
        wait_js(page, "n => document.querySelector('[data-rated]').textContent.trim() === String(n)", arg=count)
    assert read_db(Rating.objects.filter(user__username="streamer").count) == 5

    # Home: every row non-empty, every title on Disney+, and the new additions' row.
    page.click("[data-onboarding-done]")
    page.wait_for_selector("[data-row=top] li.card")
    rows = home_rows(page)
    assert "top" in rows and "new-on-services" in rows, rows.keys()
    for key, ids in rows.items():
        assert ids, key
        assert set(ids) <= disney, (key, set(ids) - disney)
    assert "Showing only your services" in page.locator("[data-services-switch]").inner_text()
    shot(page, "home-my-services")

    # For you and browse: non-empty, all on Disney+.
    page.goto(base + "/recommendations/")
    for_you = card_ids(page, "[data-recommendations] li.card")
    assert for_you and set(for_you) <= disney
    shot(page, "for-you-my-services")
    page.goto(base + "/titles/")
    browse = card_ids(page, "ul.grid li.card")
    kept = result_count(page)
    assert browse and set(browse) <= disney and kept == len(disney)
    shot(page, "browse-my-services")

    # The title page: Where to watch, Disney+ marked as the person's own, the date it was added.
    both = next(iter(disney & netflix))
    page.goto(base + f"/titles/{both}/")
    where = page.locator("[data-where-to-watch]")
    assert page.locator("#platforms-heading").inner_text() == "Where to watch"
    assert where.locator("li").count() == 2
    assert "your service" in where.locator("li[data-platform='disney-plus']").inner_text()
    assert "added" in where.locator("li[data-platform='disney-plus']").inner_text()
    assert "your service" not in where.locator("li[data-platform='netflix']").inner_text()
    similar = card_ids(page, "section.row li.card")
    assert set(similar) <= disney
    shot(page, "title-where-to-watch")

    # The switch: everything widens browse, For you and the home rows.
    page.goto(base + "/titles/")
    page.click("[data-services-switch] button[role=switch]")
    page.wait_for_url("**/titles/")
    assert page.locator("[data-services-switch] button[role=switch]").inner_text().strip() == "Only my services"
    widened = result_count(page)
    assert widened > kept
    shot(page, "browse-everything")
    page.goto(base + "/")
    everything_rows = home_rows(page)
    assert any(set(ids) - disney for ids in everything_rows.values()), "everything shows titles not on Disney+"
    page.goto(base + "/recommendations/?n=100")
    assert set(card_ids(page, "[data-recommendations] li.card")) - disney
    page.click("[data-services-switch] button[role=switch]")  # and back
    page.wait_for_url("**/recommendations/**")
    assert set(card_ids(page, "[data-recommendations] li.card")) <= disney

    # A phone: the switch and the rows fit 375 px.
    phone = browser.new_context(viewport={"width": 375, "height": 812}, storage_state=context.storage_state(), is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.goto(base + "/")
    assert mobile.evaluate("Math.max(document.documentElement.scrollWidth, window.innerWidth) - 375") <= 0
    shot(mobile, "home-my-services-375")
    mobile.goto(base + "/accounts/me/")
    shot(mobile, "account-services-375")
    assert not errors, errors
