"""Object-level checks: Alice, signed in, tries to read, change or delete Bob's ratings, watchlist,
not-interested list and account through the pages (real POST forms with a CSRF token) and the API
(token auth), with Bob's ids in her URLs and in her payloads. Every attempt is refused or only ever
touches Alice's own rows; Bob's rows in the database are asserted unchanged after each."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Title
from ratings.models import Dismissal, Rating, WatchlistEntry

from .conftest import PASSWORD, make_user
from .security_urls import fast_password_hashing

User = get_user_model()
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    fast_password_hashing(settings)


@pytest.fixture
def titles(db):
    """Bob's titles have names that appear nowhere else, so a leak on Alice's pages is visible."""
    return {
        "rated": Title.objects.create(name="BobRatedSecret", year=2001, movielens_id=9001, imdb_id="tt9001", tmdb_id=9001),
        "watch": Title.objects.create(name="BobWatchSecret", year=2002, movielens_id=9002),
        "hidden": Title.objects.create(name="BobHiddenSecret", year=2003, movielens_id=9003),
        "mine": Title.objects.create(name="AliceOwnTitle", year=2004, movielens_id=9004),
    }


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(titles):
    bob = make_user("bob")
    Rating.objects.create(user=bob, title=titles["rated"], score=4.0)
    Rating.objects.create(user=bob, title=titles["watch"], score=2.5)
    WatchlistEntry.objects.create(user=bob, title=titles["watch"])
    WatchlistEntry.objects.create(user=bob, title=titles["rated"])
    Dismissal.objects.create(user=bob, title=titles["hidden"])
    Token.objects.create(user=bob)
    return bob


def snapshot(user) -> dict:
    """Everything of ``user`` an attack could change."""
    user = User.objects.get(pk=user.pk)
    return {
        "account": (user.username, user.password, user.is_active, user.is_staff, user.is_superuser),
        "ratings": sorted(Rating.objects.filter(user=user).values_list("title_id", "score", "updated_at")),
        "watchlist": sorted(WatchlistEntry.objects.filter(user=user).values_list("title_id", "added_at")),
        "dismissals": sorted(Dismissal.objects.filter(user=user).values_list("title_id", "dismissed_at")),
        "token": Token.objects.filter(user=user).values_list("key", flat=True).first(),
    }


@pytest.fixture
def bob_before(bob):
    return snapshot(bob)


@pytest.fixture
def page(alice):
    """Alice's browser: CSRF checks on, a csrftoken cookie from a page with forms."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/accounts/me/").status_code == 200
    return client


def post_form(client, url, data=None, **extra):
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": client.cookies["csrftoken"].value}, **extra)


@pytest.fixture
def api(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    return client


# Pages: changing Bob's rows through Alice's forms


def test_page_delete_of_bobs_rated_title_leaves_his_rating(page, bob, bob_before, titles):
    response = post_form(page, f"/ratings/{titles['rated'].pk}/delete/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["removed"] is False
    assert snapshot(bob) == bob_before


def test_page_rating_with_bobs_user_id_in_the_form_rates_as_alice(page, alice, bob, bob_before, titles):
    post_form(page, f"/ratings/{titles['rated'].pk}/", {"score": "0.5", "user": bob.pk, "user_id": bob.pk})
    assert Rating.objects.get(user=alice, title=titles["rated"]).score == 0.5
    assert snapshot(bob) == bob_before


def test_page_watchlist_remove_of_bobs_entry_leaves_it(page, bob, bob_before, titles):
    post_form(page, f"/ratings/watchlist/{titles['watch'].pk}/", {"action": "remove", "user": bob.pk})
    assert snapshot(bob) == bob_before


def test_page_not_interested_undo_of_bobs_dismissal_leaves_it(page, bob, bob_before, titles):
    post_form(page, f"/ratings/not-interested/{titles['hidden'].pk}/", {"action": "undo", "user": bob.pk})
    assert snapshot(bob) == bob_before


def test_page_hiding_a_title_bob_watchlisted_only_touches_alices_lists(page, alice, bob, bob_before, titles):
    post_form(page, f"/ratings/not-interested/{titles['watch'].pk}/")
    assert Dismissal.objects.filter(user=alice, title=titles["watch"]).exists()
    assert snapshot(bob) == bob_before


@pytest.mark.parametrize("url", ["/ratings/", "/ratings/watchlist/", "/ratings/not-interested/", "/ratings/export.csv", "/accounts/me/"])
def test_alices_personal_pages_show_nothing_of_bobs(page, bob, url):
    body = page.get(url).content.decode()
    assert "BobRatedSecret" not in body and "BobWatchSecret" not in body and "BobHiddenSecret" not in body


@pytest.mark.parametrize("query", ["user={bob}", "user_id={bob}", "username=bob", "u=bob"])
def test_query_parameters_do_not_switch_the_user_of_personal_pages(page, bob, query):
    for url in ("/ratings/", "/ratings/watchlist/", "/ratings/not-interested/", "/ratings/export.csv"):
        assert "BobRatedSecret" not in page.get(f"{url}?{query.format(bob=bob.pk)}").content.decode()


def test_account_page_counts_only_alices_things(page, bob):
    body = page.get("/accounts/me/").content.decode()
    assert "alice" in body and "0 ratings" in body


def test_csv_import_naming_bob_writes_only_alices_ratings(page, alice, bob, bob_before, titles):
    csv = f"userId,movieId,rating,timestamp\n{bob.pk},9001,1.0,1\n{bob.pk},9002,1.0,1\n"
    response = post_form(page, "/ratings/import/", {"file": SimpleUploadedFile("ratings.csv", csv.encode()), "user": bob.pk})
    assert response.status_code == 302
    assert sorted(Rating.objects.filter(user=alice).values_list("title_id", "score")) == [(titles["rated"].pk, 1.0), (titles["watch"].pk, 1.0)]
    assert snapshot(bob) == bob_before


def test_csv_import_with_bobs_username_column_writes_only_alices_ratings(page, alice, bob, bob_before):
    csv = "user,username,title_id,rating\nbob,bob,{},3.0\n".format(Title.objects.get(name="BobRatedSecret").pk)
    post_form(page, "/ratings/import/", {"file": SimpleUploadedFile("ratings.csv", csv.encode())})
    assert Rating.objects.filter(user=alice).count() == 1
    assert snapshot(bob) == bob_before


def test_account_delete_deletes_only_the_signed_in_user(page, alice, bob, bob_before, titles):
    Rating.objects.create(user=alice, title=titles["mine"], score=3.0)
    response = post_form(page, "/accounts/delete/", {"password": PASSWORD, "user": bob.pk, "username": "bob"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists() and not Rating.objects.filter(user_id=alice.pk).exists()
    assert snapshot(bob) == bob_before


def test_account_delete_with_someone_elses_password_is_refused(page, alice, bob, bob_before):
    bob.set_password("b0bs-own-passw0rd!")
    bob.save()
    before = snapshot(bob)
    response = post_form(page, "/accounts/delete/", {"password": "b0bs-own-passw0rd!"})
    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists() and snapshot(bob) == before


def test_password_change_requires_the_old_password(page, alice):
    response = post_form(page, "/accounts/password_change/", {"old_password": "not-my-password", "new_password1": "Fresh-passw0rd-42", "new_password2": "Fresh-passw0rd-42"})
    assert response.status_code == 200 and "old password was entered incorrectly" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_only_changes_the_signed_in_user(page, alice, bob, bob_before):
    response = post_form(page, "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": "Fresh-passw0rd-42", "new_password2": "Fresh-passw0rd-42", "username": "bob", "user": bob.pk})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Fresh-passw0rd-42")
    assert snapshot(bob) == bob_before


# API: Bob's title ids and user id in Alice's requests


def test_api_cannot_read_bobs_rating(api, bob, titles):
    response = api.get(f"/api/v1/me/ratings/{titles['rated'].pk}/")
    assert response.status_code == 404


def test_api_rating_id_of_bob_is_not_a_key(api, bob):
    rating = Rating.objects.filter(user=bob).first()
    response = api.get(f"/api/v1/me/ratings/{rating.pk}/")
    assert response.status_code == 404 or response.json()["score"] is None


@pytest.mark.parametrize("method", ["put", "patch"])
def test_api_update_with_bobs_user_id_rates_as_alice(api, alice, bob, bob_before, titles, method):
    response = getattr(api, method)(f"/api/v1/me/ratings/{titles['rated'].pk}/", {"score": 0.5, "user": bob.pk, "user_id": bob.pk}, format="json")
    assert response.status_code == 201
    assert Rating.objects.get(user=alice, title=titles["rated"]).score == 0.5
    assert snapshot(bob) == bob_before


def test_api_create_with_bobs_user_id_rates_as_alice(api, alice, bob, bob_before, titles):
    response = api.post("/api/v1/me/ratings/", {"title": titles["watch"].pk, "score": 1.0, "user": bob.pk, "user_id": bob.pk}, format="json")
    assert response.status_code == 201
    assert Rating.objects.filter(user=alice).count() == 1
    assert snapshot(bob) == bob_before


def test_api_cannot_delete_bobs_rating(api, bob, bob_before, titles):
    assert api.delete(f"/api/v1/me/ratings/{titles['rated'].pk}/").status_code == 404
    assert snapshot(bob) == bob_before


def test_api_bulk_sync_with_bobs_user_id_injected_touches_only_alice(api, alice, bob, bob_before, titles):
    payload = {
        "user": bob.pk, "user_id": bob.pk,
        "changes": [
            {"title": titles["rated"].pk, "score": None, "user": bob.pk},  # a delete: Bob's rating must stay
            {"title": titles["watch"].pk, "score": 0.5, "user_id": bob.pk},
        ],
    }
    response = api.post("/api/v1/me/ratings/sync/", payload, format="json")
    assert response.status_code == 200
    assert list(Rating.objects.filter(user=alice).values_list("title_id", "score")) == [(titles["watch"].pk, 0.5)]
    assert snapshot(bob) == bob_before


@pytest.mark.parametrize("path,key", [("watchlist", "watch"), ("not-interested", "hidden")])
def test_api_cannot_remove_from_bobs_lists(api, bob, bob_before, titles, path, key):
    assert api.delete(f"/api/v1/me/{path}/{titles[key].pk}/").status_code == 404
    assert snapshot(bob) == bob_before


@pytest.mark.parametrize("path", ["watchlist", "not-interested"])
def test_api_adding_with_bobs_user_id_adds_to_alices_list(api, alice, bob, bob_before, titles, path):
    response = api.post(f"/api/v1/me/{path}/", {"title": titles["mine"].pk, "user": bob.pk}, format="json")
    assert response.status_code == 201
    assert snapshot(bob) == bob_before
    assert snapshot(alice)["watchlist" if path == "watchlist" else "dismissals"][0][0] == titles["mine"].pk


@pytest.mark.parametrize("path", ["me/ratings/", "me/watchlist/", "me/not-interested/"])
@pytest.mark.parametrize("query", ["", "?user={bob}", "?user_id={bob}", "?username=bob"])
def test_api_lists_show_only_alices_rows(api, bob, path, query):
    response = api.get(f"/api/v1/{path}{query.format(bob=bob.pk)}")
    assert response.status_code == 200 and response.json()["count"] == 0


def test_api_me_is_always_the_caller(api, alice, bob):
    for query in ("", f"?id={bob.pk}", "?username=bob"):
        assert api.get(f"/api/v1/me/{query}").json()["id"] == alice.pk


def test_api_logout_revokes_only_the_callers_token(api, alice, bob, bob_before):
    assert api.post("/api/v1/auth/logout/", {"user": bob.pk}, format="json").status_code == 204
    assert not Token.objects.filter(user=alice).exists()
    assert snapshot(bob) == bob_before


def test_api_recommendations_ignore_a_user_parameter(api, alice, bob):
    mine = api.get("/api/v1/me/recommendations/").json()
    assert api.get(f"/api/v1/me/recommendations/?user={bob.pk}&user_id={bob.pk}").json() == mine


def test_api_session_client_is_held_to_the_same_rules(alice, bob, bob_before, titles):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/accounts/me/")
    csrf = client.cookies["csrftoken"].value
    assert client.delete(f"/api/v1/me/ratings/{titles['rated'].pk}/", HTTP_X_CSRFTOKEN=csrf).status_code == 404
    assert client.delete(f"/api/v1/me/watchlist/{titles['watch'].pk}/", HTTP_X_CSRFTOKEN=csrf).status_code == 404
    assert snapshot(bob) == bob_before


def test_api_export_of_bob_is_not_reachable_with_alices_token(api, bob):
    # The API has no export; the page export answers to the session only, never to a token.
    response = api.get("/ratings/export.csv")
    assert response.status_code == 302 and "BobRatedSecret" not in response.content.decode()


def test_api_csv_style_payload_is_not_accepted_as_ratings_of_bob(api, alice, bob, bob_before):
    response = api.post("/api/v1/me/ratings/", io.BytesIO(b"userId,movieId,rating\n2,9001,1\n").getvalue(), content_type="text/csv")
    assert response.status_code in (400, 415)
    assert snapshot(bob) == bob_before
