"""My services on the site: choosing them (onboarding, account page), every list kept to them (home
rows, For you, browse, search, more like this), the one switch to everything, Where to watch, the
empty state before any platform catalog is imported, and platforms' colour and logo in admin."""
import datetime

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from catalog.models import Availability, Platform, StreamingServices
from catalog.services import set_streaming_services

from .test_pages_fixtures import catalog, rate_action_fan, trained  # noqa: F401


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def on_platform(title_ids, slug: str) -> set[int]:
    return set(Availability.objects.filter(title_id__in=title_ids, platform__slug=slug).values_list("title_id", flat=True))


@pytest.fixture
def disney_action_fan(user, trained):
    """Loves Action (all on Netflix) but has only Disney+ (6 Romance titles)."""
    rate_action_fan(user, trained)
    set_streaming_services(user=user, slugs=["disney-plus"])
    return user


def row_ids(response) -> dict[str, list[int]]:
    return {row.key: [card.title.pk for card in row.cards] for row in response.context["rows"]}


# --- Choosing ---------------------------------------------------------------------------------------------


def test_choosing_needs_a_sign_in(client, catalog):
    response = client.post(reverse("my-services"), {"platforms": ["netflix"]})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not StreamingServices.objects.exists()


def test_the_account_page_and_onboarding_show_the_form(logged_in_client, user, catalog):
    set_streaming_services(user=user, slugs=["netflix"])
    for url in (reverse("account"), reverse("recommender:onboarding"), reverse("my-services")):
        html = logged_in_client.get(url).content.decode()
        assert 'name="platforms" value="netflix" checked' in html, url
        assert 'name="platforms" value="disney-plus">' in html, url


def test_posting_the_form_stores_the_services_and_goes_back(logged_in_client, user, catalog):
    back = reverse("recommender:onboarding")
    response = logged_in_client.post(reverse("my-services"), {"platforms": ["disney-plus"], "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert list(StreamingServices.objects.get(user=user).platforms.values_list("slug", flat=True)) == ["disney-plus"]
    page = logged_in_client.get(back)
    assert "Your services: Disney+" in page.content.decode()


def test_an_unknown_platform_is_refused_and_nothing_stored(logged_in_client, user, catalog):
    set_streaming_services(user=user, slugs=["netflix"])
    response = logged_in_client.post(reverse("my-services"), {"platforms": ["netflix", "quibi"]}, follow=True)
    assert "Unknown platform &quot;quibi&quot;" in response.content.decode()
    assert list(StreamingServices.objects.get(user=user).platforms.values_list("slug", flat=True)) == ["netflix"]


def test_next_must_be_a_path_on_this_site(logged_in_client, catalog):
    response = logged_in_client.post(reverse("my-services"), {"platforms": ["netflix"], "next": "https://evil.example/"})
    assert response["Location"] == reverse("my-services")


def test_without_platform_data_the_pages_say_so_and_point_to_the_readme(logged_in_client, catalog):
    Availability.objects.all().delete()
    for url in (reverse("account"), reverse("recommender:onboarding")):
        html = logged_in_client.get(url).content.decode()
        assert "No streaming platform catalog has been imported yet" in html
        assert "Importing a platform catalog" in html and "README.md" in html
        assert 'name="platforms"' not in html


# --- Every list keeps to them ------------------------------------------------------------------------------


def test_home_rows_are_all_on_the_services(client, disney_action_fan):
    client.force_login(disney_action_fan)
    response = client.get(reverse("home"))
    rows = row_ids(response)
    assert rows["top"], rows
    for key, ids in rows.items():
        assert ids and set(ids) == on_platform(ids, "disney-plus"), key
    assert "Showing only your services" in response.content.decode()


def test_new_on_your_services_row_on_the_home_page(client, disney_action_fan, trained):
    client.force_login(disney_action_fan)
    rows = row_ids(client.get(reverse("home"), {"n": 2}))  # Top picks take 2 of the 5 titles not rated
    assert rows["new-on-services"] and set(rows["new-on-services"]) <= {trained["romance"][i].pk for i in (3, 6, 9, 12, 14)} - set(rows["top"])


def test_for_you_browse_search_and_more_like_this_keep_to_the_services(client, disney_action_fan, trained):
    client.force_login(disney_action_fan)
    for_you = [r.title.pk for r in client.get(reverse("recommender:for-you")).context["recommendations"]]
    assert for_you and set(for_you) == on_platform(for_you, "disney-plus")
    browse = client.get(reverse("catalog:title-list"))
    ids = [t.pk for t in browse.context["page"].object_list]
    assert browse.context["page"].paginator.count == 6 and set(ids) == on_platform(ids, "disney-plus")
    search = client.get(reverse("catalog:title-list"), {"q": "Story 1"})
    ids = [t.pk for t in search.context["page"].object_list]
    assert ids and set(ids) == on_platform(ids, "disney-plus")
    predicted = client.get(reverse("catalog:title-list"), {"sort": "predicted"})
    ids = [t.pk for t in predicted.context["page"].object_list]
    assert ids and set(ids) == on_platform(ids, "disney-plus")
    detail = client.get(reverse("catalog:title-detail", args=[trained["action"][5].pk]))
    similar = [t.pk for t in detail.context["similar"]]
    assert similar and set(similar) == on_platform(similar, "disney-plus")
    assert "on your services" in detail.content.decode()


def test_the_switch_includes_everything_and_back(client, disney_action_fan):
    client.force_login(disney_action_fan)
    kept = client.get(reverse("catalog:title-list")).context["page"].paginator.count
    response = client.post(reverse("services-everything"), {"everything": "1", "next": reverse("catalog:title-list")})
    assert response.status_code == 302 and response["Location"] == reverse("catalog:title-list")
    assert StreamingServices.objects.get(user=disney_action_fan).everything
    assert client.get(reverse("catalog:title-list")).context["page"].paginator.count == 30 > kept
    for_you = [r.title.pk for r in client.get(reverse("recommender:for-you")).context["recommendations"]]
    assert on_platform(for_you, "netflix"), "everything: the action fan's Netflix titles come back"
    home = client.get(reverse("home"))
    assert set(row_ids(home)["top"]) - on_platform(row_ids(home)["top"], "disney-plus")
    assert "Only my services" in home.content.decode()
    client.post(reverse("services-everything"), {"everything": "0"})
    assert client.get(reverse("catalog:title-list")).context["page"].paginator.count == kept


def test_switch_needs_a_post_and_a_sign_in(logged_in_client, catalog):
    assert logged_in_client.get(reverse("services-everything")).status_code == 405
    assert Client().post(reverse("services-everything"), {"everything": "1"}).status_code == 302
    assert not StreamingServices.objects.exists()


def test_no_services_chosen_keeps_nothing_out(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    assert logged_in_client.get(reverse("catalog:title-list")).context["page"].paginator.count == 30
    assert "Choose your streaming services" in logged_in_client.get(reverse("home")).content.decode()


# --- Where to watch ------------------------------------------------------------------------------------------


def test_where_to_watch_lists_platforms_with_dates_and_marks_the_users_own(logged_in_client, user, trained):
    title = trained["romance"][0]
    Availability.objects.create(title=title, platform=trained["netflix"], platform_item_id="s99", date_added=datetime.date(2021, 9, 1))
    set_streaming_services(user=user, slugs=["netflix"])
    response = logged_in_client.get(reverse("catalog:title-detail", args=[title.pk]))
    entries = [(a["platform"].slug, a["date_added"], a["mine"]) for a in response.context["availabilities"]]
    assert entries == [("netflix", datetime.date(2021, 9, 1), True), ("disney-plus", datetime.date(2020, 5, 1), False)]
    html = response.content.decode()
    assert "Where to watch" in html and "✓ your service" in html and "added 1 Sep 2021" in html and "added 1 May 2020" in html


def test_where_to_watch_for_a_visitor_and_without_data(client, trained):
    title = trained["action"][0]
    html = client.get(reverse("catalog:title-detail", args=[title.pk])).content.decode()
    assert "Netflix" in html and "your service" not in html
    Availability.objects.all().delete()
    html = client.get(reverse("catalog:title-detail", args=[title.pk])).content.decode()
    assert "No platform catalog is imported yet" in html


# --- Admin ---------------------------------------------------------------------------------------------------


def test_admin_edits_a_platforms_name_colour_and_logo(client, catalog):
    curator = User.objects.create_superuser("curator", "curator@example.com", "curator-Pass-123")
    client.force_login(curator)
    netflix = Platform.objects.get(slug="netflix")
    url = reverse("admin:catalog_platform_change", args=[netflix.pk])
    assert 'type="color"' in client.get(url).content.decode()
    response = client.post(url, {"name": "Netflix US", "slug": "netflix", "colour": "#e50914", "logo_url": "https://img.example/netflix.svg"})
    assert response.status_code == 302
    netflix.refresh_from_db()
    assert (netflix.name, netflix.colour, netflix.logo_url) == ("Netflix US", "#e50914", "https://img.example/netflix.svg")
    refused = client.post(url, {"name": "Netflix", "slug": "netflix", "colour": "red", "logo_url": ""})
    assert refused.status_code == 200 and "A colour as #rrggbb." in refused.content.decode()
    listing = client.get(reverse("admin:catalog_platform_changelist")).content.decode()
    assert "background:#e50914" in listing and "https://img.example/netflix.svg" in listing
