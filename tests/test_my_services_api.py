"""My services through the API: GET/PUT me/services/, services=mine on titles, recommendations and
similar, "where to watch" in the title detail, the cache keyed on the services, lists never empty."""
import datetime

import pytest
from django.core.cache import cache

from catalog.models import Availability, Platform, StreamingServices, Title
from recommender.new_on_services import new_on_services
from streamrec.cache import revisions, user_key

from .api_fixtures import client_for
from .test_pages_fixtures import catalog, rate_action_fan, trained  # noqa: F401

SERVICES = "/api/v1/me/services/"
RECOMMENDATIONS = "/api/v1/me/recommendations/"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def on_platform(title_ids, slug: str) -> set[int]:
    return set(Availability.objects.filter(title_id__in=title_ids, platform__slug=slug).values_list("title_id", flat=True))


def choose(user, *slugs):
    response = client_for(user).put(SERVICES, {"platforms": list(slugs)}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


# --- GET / PUT me/services/ ------------------------------------------------------------------------------


def test_services_need_a_sign_in(api_client, catalog):
    assert api_client.get(SERVICES).status_code == 401
    assert api_client.put(SERVICES, {"platforms": ["netflix"]}, format="json").status_code == 401


def test_a_new_user_has_no_services(user, catalog):
    body = client_for(user).get(SERVICES).json()
    assert body == {"platforms": [], "details": [], "everything": False, "platform_data": True}


def test_put_stores_the_services_and_get_returns_them(user, catalog):
    body = choose(user, "netflix", "disney-plus")
    assert body["platforms"] == ["disney-plus", "netflix"]
    assert [d["name"] for d in body["details"]] == ["Disney+", "Netflix"]
    assert set(StreamingServices.objects.get(user=user).platforms.values_list("slug", flat=True)) == {"netflix", "disney-plus"}
    assert client_for(user).get(SERVICES).json()["platforms"] == ["disney-plus", "netflix"]
    assert choose(user, "netflix")["platforms"] == ["netflix"]
    assert choose(user)["platforms"] == []


def test_an_unknown_slug_is_a_400_naming_it_and_nothing_changes(user, catalog):
    choose(user, "netflix")
    response = client_for(user).put(SERVICES, {"platforms": ["disney-plus", "hbo-max"]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and "hbo-max" in body["detail"]
    assert any("hbo-max" in message for message in body["platforms"])
    assert "disney-plus" not in " ".join(body["platforms"])
    assert client_for(user).get(SERVICES).json()["platforms"] == ["netflix"]


@pytest.mark.parametrize("body", [{}, {"platforms": "netflix"}, {"platforms": [["netflix"]]}, {"platforms": ["x" * 41]}])
def test_a_malformed_body_is_a_400(user, catalog, body):
    response = client_for(user).put(SERVICES, body, format="json")
    assert response.status_code == 400 and any(key.startswith("platforms") for key in response.json())


def test_a_change_of_services_moves_the_user_revision(user, catalog):
    before = revisions(user_key(user.pk))[user_key(user.pk)]
    choose(user, "netflix")
    assert revisions(user_key(user.pk))[user_key(user.pk)] != before


def test_platform_data_is_false_before_any_platform_catalog_is_imported(user, catalog):
    Availability.objects.all().delete()
    assert client_for(user).get(SERVICES).json()["platform_data"] is False


# --- services=mine on the lists ------------------------------------------------------------------------------


def test_recommendations_keep_to_the_services_and_widen_without_them(user, trained):
    rate_action_fan(user, trained)  # loves Action: on Netflix only
    choose(user, "disney-plus")
    client = client_for(user)
    mine = client.get(RECOMMENDATIONS, {"services": "mine", "n": 5}).json()
    ids = [item["title"]["id"] for item in mine]
    assert ids and set(ids) == on_platform(ids, "disney-plus")
    assert all(item["personalized"] for item in mine)
    everything = [item["title"]["id"] for item in client.get(RECOMMENDATIONS, {"n": 5}).json()]
    assert on_platform(everything, "netflix"), "without services=mine the action fan gets Netflix's action titles"


def test_recommendations_follow_a_change_of_services_at_once(user, trained):
    rate_action_fan(user, trained)
    choose(user, "netflix")
    client = client_for(user)
    first = [item["title"]["id"] for item in client.get(RECOMMENDATIONS, {"services": "mine"}).json()]
    assert first and set(first) == on_platform(first, "netflix")
    choose(user, "disney-plus")
    second = [item["title"]["id"] for item in client.get(RECOMMENDATIONS, {"services": "mine"}).json()]
    assert second and set(second) == on_platform(second, "disney-plus")


def test_a_list_is_never_empty_while_titles_are_on_the_services(user, trained):
    """Nobody rated the only title on this platform, and the user rated nothing: the popularity
    fallback has nothing, and the unrated title still comes."""
    mubi = Platform.objects.create(slug="mubi", name="MUBI")
    fresh = Title.objects.create(name="Quiet Harbour", year=2021)
    Availability.objects.create(title=fresh, platform=mubi, platform_item_id="m1", date_added=datetime.date(2021, 6, 1))
    choose(user, "mubi")
    body = client_for(user).get(RECOMMENDATIONS, {"services": "mine"}).json()
    assert [item["title"]["id"] for item in body] == [fresh.pk]
    assert body[0]["explanation"] == "On your services; nobody on StreamRec has rated it yet"


def test_services_mine_without_a_choice_keeps_nothing_out(user, trained):
    rate_action_fan(user, trained)
    client = client_for(user)
    assert client.get(RECOMMENDATIONS, {"services": "mine"}).json() == client.get(RECOMMENDATIONS).json()


def test_browse_keeps_to_the_services(user, trained):
    choose(user, "disney-plus")
    client = client_for(user)
    body = client.get("/api/v1/titles/", {"services": "mine", "page_size": 100}).json()
    ids = [t["id"] for t in body["results"]]
    assert body["count"] == 6 and set(ids) == on_platform(ids, "disney-plus")
    assert client.get("/api/v1/titles/", {"page_size": 100}).json()["count"] == 30
    searched = client.get("/api/v1/titles/", {"services": "mine", "search": "Romance"}).json()
    assert searched["count"] == 6


def test_services_mine_needs_a_sign_in(api_client, trained):
    response = api_client.get("/api/v1/titles/", {"services": "mine"})
    assert response.status_code == 401
    assert api_client.get(RECOMMENDATIONS, {"services": "mine"}).status_code == 401
    assert api_client.get("/api/v1/titles/", {"services": "theirs"}).status_code == 400


def test_similar_keeps_to_the_services(user, trained):
    choose(user, "disney-plus")
    client = client_for(user)
    romance = trained["romance"][1]  # not on Disney+ itself
    similar = [t["id"] for t in client.get(f"/api/v1/titles/{romance.pk}/similar/", {"services": "mine", "n": 10}).json()]
    assert similar and set(similar) == on_platform(similar, "disney-plus")
    assert romance.pk not in similar
    unfiltered = [t["id"] for t in client.get(f"/api/v1/titles/{romance.pk}/similar/", {"n": 10}).json()]
    assert len(unfiltered) == 10 and set(unfiltered) - on_platform(unfiltered, "disney-plus")


# --- Where to watch in the title detail --------------------------------------------------------------------


def test_title_detail_marks_the_users_own_services(user, trained):
    both = trained["romance"][0]  # on Disney+; also put it on Netflix
    Availability.objects.create(title=both, platform=trained["netflix"], platform_item_id="s99", date_added=datetime.date(2021, 9, 1))
    choose(user, "netflix")
    platforms = client_for(user).get(f"/api/v1/titles/{both.pk}/").json()["platforms"]
    assert {(p["slug"], p["date_added"], p["mine"]) for p in platforms} == {("netflix", "2021-09-01", True), ("disney-plus", "2020-05-01", False)}
    assert all(p["colour"].startswith("#") for p in platforms)


def test_title_detail_marks_nothing_for_a_visitor(api_client, trained):
    platforms = api_client.get(f"/api/v1/titles/{trained['action'][0].pk}/").json()["platforms"]
    assert [(p["slug"], p["mine"]) for p in platforms] == [("netflix", False)]


# --- New on your services for you: the one function the home row and the digest share --------------------


def test_new_on_services_is_the_last_30_days_of_the_users_platforms(user, trained):
    rate_action_fan(user, trained)
    old = trained["romance"][2]  # not rated by the action fan
    Availability.objects.create(title=old, platform=trained["disney"], platform_item_id="old", date_added=datetime.date(2020, 3, 1))
    assert new_on_services(user, 10) == []  # no services chosen
    choose(user, "disney-plus")
    picks = new_on_services(user, 10)
    ids = [r.title.pk for r in picks]
    # Disney+ added romance 0, 3, 6, 9, 12 and 14 on 1-15 May 2020 (the newest); the old one is out.
    expected = {trained["romance"][i].pk for i in (0, 3, 6, 9, 12, 14)}
    assert set(ids) == expected - {t.pk for t in trained["romance"][:2]}  # rated titles never come back
    assert all(r.personalized for r in picks)
    assert old.pk in {r.title.pk for r in new_on_services(user, 10, today=datetime.date(2020, 3, 15))}  # the digest's own today
    assert old.pk not in {r.title.pk for r in new_on_services(user, 10, today=datetime.date(2020, 5, 20))}
    assert new_on_services(user, 2) == picks[:2]


def test_an_unknown_slug_with_a_percent_sign_is_named_too(user, catalog):
    response = client_for(user).put(SERVICES, {"platforms": ['100%"s']}, format="json")
    assert response.status_code == 400 and '100%"s' in response.json()["detail"]
