"""Watch activity in a real browser (Debian's Chromium through playwright against a live server): a
title started from its page appears in "Continue watching"; finished, it leaves the row; another
started appears there. Screenshots go to test-artifacts/screenshots/watching-*.png."""
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from .conftest import build_taste_catalog
from .test_browser import PASSWORD, browser, card_ids, shot  # noqa: F401
from .test_pages_fixtures import enrich

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def watched_site(transactional_db):
    from recommender.training import train_model_version

    cache.clear()
    catalog = enrich(build_taste_catalog())
    train_model_version()
    get_user_model().objects.create_user("viewer", password=PASSWORD)
    yield catalog
    cache.clear()
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")


def continue_row(page, base) -> list[int]:
    page.goto(base + "/")
    return card_ids(page, "[data-row=continue] li.card")


def test_finish_leaves_continue_watching_and_start_enters_it(live_server, watched_site, browser):  # noqa: F811
    base = live_server.url
    errors: list[str] = []
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(15_000)
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "viewer")
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")

    first, second = watched_site["action"][0], watched_site["action"][1]
    assert continue_row(page, base) == []

    page.goto(base + first.get_absolute_url())
    page.click("button[name=action][value=start]")
    page.wait_for_selector("[data-viewing]")
    assert "In Continue watching" in page.inner_text("[data-viewing]")
    shot(page, "watching-title-started")
    assert continue_row(page, base) == [first.pk]
    shot(page, "watching-home-continue")

    page.goto(base + first.get_absolute_url())
    page.click("button[name=action][value=finish]")
    page.wait_for_selector("text=You finished this on")
    assert first.pk not in continue_row(page, base)

    page.goto(base + second.get_absolute_url())
    page.click("button[name=action][value=start]")
    page.wait_for_selector("[data-viewing]")
    assert continue_row(page, base) == [second.pk]

    page.goto(base + "/ratings/watching/")
    assert page.locator("[data-watch-history] li").count() == 3  # start, finish, start
    shot(page, "watching-history")
    assert not errors, errors
