"""The signed-in user's things over the API: offline rating sync, watchlist, not-interested,
recommendations with filters and explanations; nobody reaches another user's rows."""
import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from ratings.models import Dismissal, Rating, WatchlistEntry

from .api_fixtures import *  # noqa: F401,F403

SYNC = "/api/v1/me/ratings/sync/"


def snapshot():
    return sorted(Rating.objects.values_list("user_id", "title_id", "score", "created_at", "updated_at"))


# Offline sync (bulk upsert)


def test_sync_creates_updates_and_deletes(token_client, user, catalog):
    Rating.objects.create(user=user, title=catalog["clue"], score=2.0, updated_at=timezone.now() - datetime.timedelta(days=1))
    Rating.objects.create(user=user, title=catalog["up"], score=3.0, updated_at=timezone.now() - datetime.timedelta(days=1))
    batch = {"changes": [
        {"title": catalog["heat"].pk, "score": 4.5},
        {"title": catalog["clue"].pk, "score": 3.5},
        {"title": catalog["up"].pk, "score": None},
        {"title": catalog["wire"].pk, "score": None},
    ]}
    body = token_client.post(SYNC, batch, format="json").json()
    assert {k: body[k] for k in ("created", "updated", "deleted", "unchanged", "stale")} == {
        "created": 1, "updated": 1, "deleted": 1, "unchanged": 1, "stale": 0,
    }
    assert [r["outcome"] for r in body["results"]] == ["created", "updated", "deleted", "unchanged"]
    assert dict(Rating.objects.filter(user=user).values_list("title__name", "score")) == {"Heat": 4.5, "Clue": 3.5}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("single_rating_age, outcome, score", [(datetime.timedelta(days=1), "updated", 4.5),
                                                                 (-datetime.timedelta(days=1), "stale", 2.0)])
def test_sync_meets_a_single_rating_saved_while_it_runs(token_client, user, catalog, monkeypatch, single_rating_age, outcome, score):
    """A rating from the page or the API (which does not wait for syncs) is committed by another
    connection between the sync's read and its insert: no 500, the newest change wins."""
    changed_at = timezone.now() - datetime.timedelta(hours=1)
    create = Rating.objects.create

    def other_request():
        try:
            create(user=user, title=catalog["heat"], score=2.0, updated_at=changed_at - single_rating_age)
        finally:
            connection.close()

    def single_rating_first(**fields):
        monkeypatch.setattr(Rating.objects, "create", create)
        racer = threading.Thread(target=other_request)
        racer.start()
        racer.join()
        return create(**fields)

    monkeypatch.setattr(Rating.objects, "create", single_rating_first)
    response = token_client.post(SYNC, {"changes": [{"title": catalog["heat"].pk, "score": 4.5, "changed_at": changed_at.isoformat()}]}, format="json")
    assert response.status_code == 200
    assert response.json()["results"][0]["outcome"] == outcome
    assert list(Rating.objects.filter(user=user).values_list("score", flat=True)) == [score]


def test_replaying_the_same_batch_changes_nothing(token_client, user, catalog):
    batch = {"changes": [
        {"title": catalog["heat"].pk, "score": 4.5, "changed_at": "2024-05-01T10:00:00Z"},
        {"title": catalog["clue"].pk, "score": 1.0, "changed_at": "2024-05-01T10:01:00Z"},
        {"title": catalog["up"].pk, "score": None, "changed_at": "2024-05-01T10:02:00Z"},
    ]}
    first = token_client.post(SYNC, batch, format="json")
    assert first.status_code == 200 and first.json()["created"] == 2
    before = snapshot()
    for _ in range(2):
        again = token_client.post(SYNC, batch, format="json").json()
        assert (again["created"], again["updated"], again["deleted"], again["unchanged"]) == (0, 0, 0, 3)
    assert snapshot() == before
    heat = Rating.objects.get(user=user, title=catalog["heat"])
    assert heat.created_at == heat.updated_at == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.UTC)


def test_a_change_older_than_the_server_copy_is_stale(token_client, user, catalog):
    Rating.objects.create(user=user, title=catalog["heat"], score=5.0, updated_at=timezone.now())
    old = (timezone.now() - datetime.timedelta(hours=2)).isoformat()
    body = token_client.post(SYNC, {"changes": [
        {"title": catalog["heat"].pk, "score": 1.0, "changed_at": old},
    ]}, format="json").json()
    assert body["stale"] == 1 and body["results"] == [{"title": catalog["heat"].pk, "outcome": "stale"}]
    deleting = token_client.post(SYNC, {"changes": [{"title": catalog["heat"].pk, "score": None, "changed_at": old}]}, format="json")
    assert deleting.json()["stale"] == 1
    assert Rating.objects.get(user=user).score == 5.0


def test_within_a_batch_the_last_change_of_a_title_wins(token_client, user, catalog):
    body = token_client.post(SYNC, {"changes": [
        {"title": catalog["heat"].pk, "score": 2.0}, {"title": catalog["heat"].pk, "score": 4.0},
    ]}, format="json").json()
    assert body["created"] == 1 and len(body["results"]) == 1
    assert Rating.objects.get(user=user).score == 4.0


def test_future_dates_count_as_now(token_client, user, catalog):
    token_client.post(SYNC, {"changes": [{"title": catalog["heat"].pk, "score": 3.0, "changed_at": "2999-01-01T00:00:00Z"}]}, format="json")
    assert Rating.objects.get(user=user).updated_at <= timezone.now()


@pytest.mark.parametrize(
    "change,key",
    [
        ({"score": 4.3}, "changes.1.score"),
        ({"score": 6}, "changes.1.score"),
        ({"score": "x"}, "changes.1.score"),
        ({"title": 987654321}, "changes.1.title"),
        ({"title": "x"}, "changes.1.title"),
    ],
)
def test_one_bad_change_rejects_the_whole_batch(token_client, catalog, change, key):
    batch = {"changes": [{"title": catalog["heat"].pk, "score": 4.0}, {"title": catalog["clue"].pk, "score": 3.0, **change}]}
    response = token_client.post(SYNC, batch, format="json")
    assert response.status_code == 400
    assert key in response.json()
    assert not Rating.objects.exists()


def test_sync_refuses_inactive_titles(token_client, catalog):
    catalog["heat"].is_active = False
    catalog["heat"].save()
    response = token_client.post(SYNC, {"changes": [{"title": catalog["heat"].pk, "score": 3.0}]}, format="json")
    assert response.status_code == 400 and "changes.0.title" in response.json()


def test_sync_limits_the_batch_size(token_client, catalog):
    changes = [{"title": catalog["heat"].pk, "score": 3.0}] * 501
    response = token_client.post(SYNC, {"changes": changes}, format="json")
    assert response.status_code == 400 and "changes" in response.json()


def test_sync_only_touches_my_ratings(token_client, user, other_user, catalog):
    Rating.objects.create(user=other_user, title=catalog["heat"], score=5.0)
    token_client.post(SYNC, {"changes": [{"title": catalog["heat"].pk, "score": None}, {"title": catalog["clue"].pk, "score": 1.0}]}, format="json")
    assert Rating.objects.get(user=other_user).score == 5.0
    assert list(Rating.objects.filter(user=user).values_list("title__name", flat=True)) == ["Clue"]


def test_sync_has_its_own_throttle(token_client, catalog, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "sync": "1/min"}}
    assert token_client.post(SYNC, {"changes": []}, format="json").status_code == 200
    assert token_client.post(SYNC, {"changes": []}, format="json").status_code == 429
    assert token_client.get("/api/v1/me/ratings/").status_code == 200


# Watchlist and not-interested


@pytest.mark.parametrize("path,model", [("/api/v1/me/watchlist/", WatchlistEntry), ("/api/v1/me/not-interested/", Dismissal)])
def test_personal_list_add_list_remove(token_client, user, catalog, path, model):
    heat = catalog["heat"]
    added = token_client.post(path, {"title": heat.pk}, format="json")
    assert added.status_code == 201 and added.json()["title"] == heat.pk
    assert added.json()["title_detail"]["name"] == "Heat"
    assert token_client.post(path, {"title": heat.pk}, format="json").status_code == 200
    assert model.objects.filter(user=user, title=heat).count() == 1
    listed = token_client.get(path).json()
    assert listed["count"] == 1 and listed["results"][0]["title"] == heat.pk
    assert token_client.delete(f"{path}{heat.pk}/").status_code == 204
    assert not model.objects.exists()
    assert token_client.delete(f"{path}{heat.pk}/").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/me/watchlist/", "/api/v1/me/not-interested/"])
def test_personal_list_refuses_unknown_and_inactive_titles(token_client, catalog, path):
    assert token_client.post(path, {"title": 987654}, format="json").status_code == 400
    catalog["wire"].is_active = False
    catalog["wire"].save()
    response = token_client.post(path, {"title": catalog["wire"].pk}, format="json")
    assert response.status_code == 400 and "title" in response.json()


@pytest.mark.parametrize("path", ["/api/v1/me/watchlist/", "/api/v1/me/not-interested/", "/api/v1/me/", SYNC])
def test_personal_endpoints_need_authentication(api_client, db, path):
    response = api_client.get(path) if not path.endswith("sync/") else api_client.post(path, {"changes": []}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_users_cannot_see_or_change_each_others_lists(token_client, other_user, catalog):
    heat = catalog["heat"]
    WatchlistEntry.objects.create(user=other_user, title=heat)
    Dismissal.objects.create(user=other_user, title=heat)
    for path in ("/api/v1/me/watchlist/", "/api/v1/me/not-interested/"):
        assert token_client.get(path).json()["count"] == 0
        assert token_client.delete(f"{path}{heat.pk}/").status_code == 404
    assert WatchlistEntry.objects.filter(user=other_user).count() == Dismissal.objects.filter(user=other_user).count() == 1


def test_users_cannot_read_change_or_delete_each_others_ratings(token_client, bob_client, user, other_user, catalog):
    heat = catalog["heat"]
    bob_client.post("/api/v1/me/ratings/", {"title": heat.pk, "score": 5.0}, format="json")
    assert token_client.get(f"/api/v1/me/ratings/{heat.pk}/").status_code == 404
    assert token_client.delete(f"/api/v1/me/ratings/{heat.pk}/").status_code == 404
    assert token_client.put(f"/api/v1/me/ratings/{heat.pk}/", {"score": 1.0}, format="json").status_code == 201
    assert Rating.objects.get(user=other_user).score == 5.0 and Rating.objects.get(user=user).score == 1.0
    assert bob_client.get("/api/v1/me/ratings/").json()["count"] == 1


# Recommendations


def test_recommendations_explain_each_item(token_client, user, taste_catalog):
    from recommender.training import train_model_version

    train_model_version()
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)
    items = token_client.get("/api/v1/me/recommendations/", {"n": 5}).json()
    assert len(items) == 5 and all(item["personalized"] for item in items)
    liked = {t.pk for t in taste_catalog["romance"][:3]}
    for item in items:
        assert item["because"]["title"]["id"] in liked and item["because"]["score"] == 5.0
        assert item["explanation"] == f"Because you rated {item['because']['title']['name']} 5"


def test_popular_recommendations_say_so(token_client, taste_catalog):
    items = token_client.get("/api/v1/me/recommendations/", {"n": 3}).json()
    assert all(not item["personalized"] and item["because"] is None for item in items)
    assert all(item["explanation"].startswith("Popular") for item in items)


def test_recommendations_filter_by_kind_genre_and_platform(token_client, rated_catalog):
    series = token_client.get("/api/v1/me/recommendations/", {"kind": "series"}).json()
    assert {item["title"]["name"] for item in series} <= {"The Office", "The Wire"}
    comedy = token_client.get("/api/v1/me/recommendations/", {"genre": "Comedy"}).json()
    assert {item["title"]["name"] for item in comedy} == {"Clue", "Up"}
    netflix = token_client.get("/api/v1/me/recommendations/", {"platform": "netflix"}).json()
    assert [item["title"]["name"] for item in netflix] == ["Heat"]


def test_dismissed_titles_are_not_recommended(token_client, rated_catalog):
    token_client.post("/api/v1/me/not-interested/", {"title": rated_catalog["heat"].pk}, format="json")
    names = [item["title"]["name"] for item in token_client.get("/api/v1/me/recommendations/").json()]
    assert "Heat" not in names and names


@pytest.mark.parametrize("params", [{"kind": "opera"}, {"platform": "x" * 300}, {"genre": "a\x00b"}])
def test_recommendation_filters_are_validated(token_client, db, params):
    response = token_client.get("/api/v1/me/recommendations/", params)
    assert response.status_code == 400 and set(params) <= set(response.json())


def test_a_platform_filtered_request_does_not_change_unfiltered_ones(token_client, rated_catalog):
    token_client.get("/api/v1/me/recommendations/", {"platform": "netflix"})
    names = {item["title"]["name"] for item in token_client.get("/api/v1/me/recommendations/").json()}
    assert {"Heat", "Up", "Clue"} <= names


def test_personal_recommendations_filter_by_platform(token_client, user, taste_catalog):
    from catalog.models import Availability, Platform
    from recommender.training import train_model_version

    train_model_version()
    netflix = Platform.objects.create(slug="netflix", name="Netflix")
    on_netflix = taste_catalog["romance"][10:13]
    for index, title in enumerate(on_netflix):
        Availability.objects.create(title=title, platform=netflix, platform_item_id=f"s{index}")
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)
    items = token_client.get("/api/v1/me/recommendations/", {"platform": "netflix", "n": 10}).json()
    assert all(item["personalized"] for item in items)
    assert {item["title"]["id"] for item in items} == {t.pk for t in on_netflix}
