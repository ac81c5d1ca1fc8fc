"""Rating without reload (JSON), my ratings (sort, export, import), watchlist and "not interested"."""
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ratings.models import Dismissal, Rating, WatchlistEntry

from .test_pages_fixtures import catalog, rate_action_fan, trained  # noqa: F401
from .conftest import recommendations_for

JSON = {"HTTP_ACCEPT": "application/json"}


# Rating from the star widget


def test_rate_by_script_answers_json(logged_in_client, user, catalog):
    title = catalog["action"][0]
    response = logged_in_client.post(reverse("ratings:rate", args=[title.pk]), {"score": "3.5"}, **JSON)
    assert response.status_code == 200
    assert response.json() | {"message": ""} == {"ok": True, "score": 3.5, "created": True, "rating_count": 1, "message": ""}
    response = logged_in_client.post(reverse("ratings:rate", args=[title.pk]), {"score": "4.5"}, **JSON)
    assert response.json()["created"] is False and Rating.objects.get(user=user, title=title).score == 4.5
    response = logged_in_client.post(reverse("ratings:delete", args=[title.pk]), **JSON)
    assert response.json() | {"message": ""} == {"ok": True, "score": None, "removed": True, "rating_count": 0, "message": ""}
    assert not Rating.objects.filter(user=user).exists()


@pytest.mark.parametrize("score", ["4.3", "0", "abc", ""])
def test_rate_by_script_rejects_bad_scores(logged_in_client, catalog, score):
    response = logged_in_client.post(reverse("ratings:rate", args=[catalog["action"][0].pk]), {"score": score}, **JSON)
    assert response.status_code == 400 and response.json()["ok"] is False
    assert not Rating.objects.filter(user__username="alice").exists()


def test_rate_by_script_needs_csrf(user, catalog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("ratings:rate", args=[catalog["action"][0].pk]), {"score": "4.0"}, **JSON)
    assert response.status_code == 403 and not Rating.objects.filter(user=user).exists()


def test_rate_plain_form_redirects_to_next(logged_in_client, catalog):
    response = logged_in_client.post(reverse("ratings:rate", args=[catalog["action"][0].pk]), {"score": "4.0", "next": "/recommendations/welcome/"})
    assert response.status_code == 302 and response.url == "/recommendations/welcome/"


# My ratings


def test_my_ratings_sorts(logged_in_client, user, catalog):
    for title, score in zip(catalog["action"][:3], [2.0, 5.0, 3.5], strict=True):
        Rating.objects.create(user=user, title=title, score=score)
    high = logged_in_client.get(reverse("ratings:mine"), {"sort": "high"})
    assert [r.score for r in high.context["page"]] == [5.0, 3.5, 2.0]
    low = logged_in_client.get(reverse("ratings:mine"), {"sort": "low"})
    assert [r.score for r in low.context["page"]] == [2.0, 3.5, 5.0]
    by_title = logged_in_client.get(reverse("ratings:mine"), {"sort": "title"})
    assert [r.title.name for r in by_title.context["page"]] == sorted(t.name for t in catalog["action"][:3])
    assert logged_in_client.get(reverse("ratings:mine"), {"sort": "nonsense"}).status_code == 200
    assert 'data-stars' in high.content.decode()  # each rating is editable in place


def test_export_csv(logged_in_client, user, other_user, catalog):
    Rating.objects.create(user=user, title=catalog["action"][0], score=4.5)
    Rating.objects.create(user=other_user, title=catalog["action"][1], score=1.0)
    response = logged_in_client.get(reverse("ratings:export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["movieId"] == str(catalog["action"][0].movielens_id) and rows[0]["rating"] == "4.5"
    assert rows[0]["title"] == catalog["action"][0].name


def upload(text: str, name="ratings.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_import_movielens_csv(logged_in_client, user, catalog):
    a, b, c = catalog["action"][:3]
    Rating.objects.create(user=user, title=a, score=1.0)
    text = (
        "userId,movieId,rating,timestamp\n"
        f"7,{a.movielens_id},4.0,1260759144\n"
        f"7,{b.movielens_id},3.5,1260759179\n"
        f"7,{c.movielens_id},4.3,1260759182\n"
        "7,999999,5.0,1260759185\n"
    )
    response = logged_in_client.post(reverse("ratings:import"), {"file": upload(text)}, follow=True)
    assert response.status_code == 200
    scores = dict(Rating.objects.filter(user=user).values_list("title_id", "score"))
    assert scores == {a.pk: 4.0, b.pk: 3.5}
    body = response.content.decode()
    assert "1 new, 1 changed" in body and "2 skipped" in body and "line 4" in body and "line 5" in body


def test_export_then_import_round_trips(logged_in_client, user, other_user, catalog):
    for title, score in zip(catalog["romance"][:4], [0.5, 2.5, 4.0, 5.0], strict=True):
        Rating.objects.create(user=user, title=title, score=score)
    exported = logged_in_client.get(reverse("ratings:export")).content.decode()
    other = Client()
    other.force_login(other_user)
    other.post(reverse("ratings:import"), {"file": upload(exported)})
    assert dict(Rating.objects.filter(user=other_user).values_list("title_id", "score")) == dict(
        Rating.objects.filter(user=user).values_list("title_id", "score")
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("movieId,stars\n1,4\n", "needs a header"),
        ("userId,movieId,rating\n1,1000,4\n2,1001,4\n", "several users"),
    ],
)
def test_import_refuses_bad_files(logged_in_client, catalog, text, message):
    response = logged_in_client.post(reverse("ratings:import"), {"file": upload(text)}, follow=True)
    assert message in response.content.decode()
    assert not Rating.objects.filter(user__username="alice").exists()


def test_import_refuses_non_utf8(logged_in_client, catalog):
    response = logged_in_client.post(reverse("ratings:import"), {"file": SimpleUploadedFile("r.csv", "movieId,rating\n1,4\n".encode("utf-16"))}, follow=True)
    assert "not UTF-8" in response.content.decode()


@pytest.mark.parametrize("name", ["ratings:export", "ratings:watchlist", "ratings:hidden"])
def test_personal_lists_require_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_import_requires_login_and_post(client, logged_in_client, db):
    assert client.post(reverse("ratings:import")).status_code == 302
    assert logged_in_client.get(reverse("ratings:import")).status_code == 405


# Watchlist and not interested


def test_watchlist_add_list_remove(logged_in_client, user, catalog):
    title = catalog["action"][2]
    url = reverse("ratings:watchlist-toggle", args=[title.pk])
    response = logged_in_client.post(url, {"action": "add"}, **JSON)
    assert response.json()["on_watchlist"] is True and WatchlistEntry.objects.filter(user=user, title=title).exists()
    page = logged_in_client.get(reverse("ratings:watchlist"))
    assert [e.title for e in page.context["entries"]] == [title] and title.name in page.content.decode()
    response = logged_in_client.post(url, {"action": "remove", "next": reverse("ratings:watchlist")})
    assert response.status_code == 302 and response.url == reverse("ratings:watchlist")
    assert not WatchlistEntry.objects.exists()
    assert b"Your watchlist is empty" in logged_in_client.get(reverse("ratings:watchlist")).content


def test_not_interested_hides_from_recommendations_until_undone(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    first = recommendations_for(user, n=5)[0].title
    WatchlistEntry.objects.create(user=user, title=first)
    response = logged_in_client.post(reverse("ratings:hide-toggle", args=[first.pk]), **JSON)
    assert response.json()["hidden"] is True
    assert Dismissal.objects.filter(user=user, title=first).exists()
    assert not WatchlistEntry.objects.filter(user=user, title=first).exists()  # hiding also takes it off the watchlist
    page = logged_in_client.get(reverse("recommender:for-you"))
    assert first not in [r.title for r in page.context["recommendations"]]
    hidden = logged_in_client.get(reverse("ratings:hidden"))
    assert first.name in hidden.content.decode()
    logged_in_client.post(reverse("ratings:hide-toggle", args=[first.pk]), {"action": "undo"}, **JSON)
    assert first in [r.title for r in recommendations_for(user, n=5)]


def test_watchlist_and_hide_need_login_post_and_csrf(client, user, catalog):
    title = catalog["action"][0]
    assert client.post(reverse("ratings:watchlist-toggle", args=[title.pk])).status_code == 302
    assert client.post(reverse("ratings:hide-toggle", args=[title.pk])).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(reverse("ratings:hide-toggle", args=[title.pk])).status_code == 403
    assert strict.get(reverse("ratings:hide-toggle", args=[title.pk])).status_code == 405
    assert not Dismissal.objects.exists() and not WatchlistEntry.objects.exists()
    logged = Client()
    logged.force_login(user)
    assert logged.post(reverse("ratings:watchlist-toggle", args=[999999])).status_code == 404


def test_hidden_list_is_per_user(logged_in_client, other_user, catalog):
    Dismissal.objects.create(user=other_user, title=catalog["action"][0])
    response = logged_in_client.get(reverse("ratings:hidden"))
    assert b"Nothing hidden" in response.content
