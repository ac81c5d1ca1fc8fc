"""The popular <-> lesser-known dial: stored per user, set from the pages, taken by the API, and it
moves the list."""
import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalog.models import Genre, Title
from ratings.models import Preference, Rating
from recommender.pipeline.history import HistoryLookup
from recommender.training import train_model_version


@pytest.fixture
def long_tail_catalog(db):
    """60 Drama titles whose popularity falls steeply (a few blockbusters, many lesser-known), and
    80 raters who like all of them about alike: what a person watches is mostly what is popular."""
    rng = np.random.default_rng(3)
    drama = Genre.objects.create(name="Drama")
    titles = []
    for index in range(60):
        title = Title.objects.create(name=f"Drama {index}", year=1950 + index, movielens_id=5000 + index)
        title.genres.add(drama)
        titles.append(title)
    reach = 0.9 * (np.arange(60) + 1.0) ** -0.6  # share of raters who rated title i
    ratings = []
    for rater_index in range(80):
        rater = User.objects.create(username=f"watcher{rater_index}")
        for index, title in enumerate(titles):
            if rng.random() < reach[index]:
                ratings.append(Rating(user=rater, title=title, score=float(rng.choice([3.5, 4.0, 4.5, 5.0]))))
    Rating.objects.bulk_create(ratings)
    train_model_version()
    return titles


def top_ids(client, **params) -> list[int]:
    response = client.get("/api/v1/me/recommendations/", {"n": 10, **params})
    assert response.status_code == 200, response.content
    return [item["title"]["id"] for item in response.json()]


def test_moving_the_dial_end_to_end_changes_at_least_three_of_the_top_ten(long_tail_catalog, token_client, user):
    for title in long_tail_catalog[:6]:
        Rating.objects.create(user=user, title=title, score=4.5)
    popular, lesser_known = top_ids(token_client, novelty=0), top_ids(token_client, novelty=1)
    assert len(set(popular) - set(lesser_known)) >= 3
    counts = {t.pk: t.ratings.count() for t in long_tail_catalog}
    assert np.mean([counts[t] for t in lesser_known]) < np.mean([counts[t] for t in popular])


def test_the_stored_dial_applies_to_the_next_request(long_tail_catalog, logged_in_client, token_client, user):
    for title in long_tail_catalog[:6]:
        Rating.objects.create(user=user, title=title, score=4.5)
    before = top_ids(token_client)
    response = logged_in_client.post("/accounts/me/novelty/", {"novelty": "1", "next": "/recommendations/"})
    assert response.status_code == 302 and response["Location"] == "/recommendations/"
    assert Preference.objects.get(user=user).novelty == 1.0
    assert top_ids(token_client) == top_ids(token_client, novelty=1) != before


def test_the_dial_is_on_the_account_and_recommendations_pages(taste_catalog, logged_in_client, user):
    from tests.conftest import give_romance_taste

    give_romance_taste(user, taste_catalog)
    for page in ("/accounts/me/", "/recommendations/"):
        html = logged_in_client.get(page).content.decode()
        assert 'name="novelty"' in html and 'action="/accounts/me/novelty/"' in html, page


@pytest.mark.parametrize("value", ["1.5", "-0.1", "lots", ""])
def test_a_bad_dial_value_is_refused_and_nothing_is_stored(logged_in_client, user, value):
    response = logged_in_client.post("/accounts/me/novelty/", {"novelty": value, "next": "/accounts/me/"}, follow=True)
    assert response.status_code == 200
    assert "novelty must be" in response.content.decode()
    assert not Preference.objects.filter(user=user).exists()


def test_setting_the_dial_needs_a_signed_in_user_and_a_post(logged_in_client, user):
    response = Client().post("/accounts/me/novelty/", {"novelty": "0.5"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert logged_in_client.get("/accounts/me/novelty/").status_code == 405
    assert not Preference.objects.exists()


def test_the_dial_never_redirects_off_site(logged_in_client, user):
    response = logged_in_client.post("/accounts/me/novelty/", {"novelty": "0.5", "next": "https://evil.example/"})
    assert response["Location"] == "/accounts/me/"


@pytest.mark.parametrize("value", ["2", "-1", "x"])
def test_the_api_refuses_a_bad_novelty(token_client, value):
    response = token_client.get("/api/v1/me/recommendations/", {"novelty": value})
    assert response.status_code == 400
    assert "novelty" in response.json()


def test_the_history_carries_the_dial(db, user):
    assert HistoryLookup()(user_id=user.pk).novelty is None
    Preference.objects.create(user=user, novelty=0.75)
    assert HistoryLookup()(user_id=user.pk).novelty == 0.75


@pytest.mark.parametrize("target", ["account", "delete-account", "//evil.example/x"])
def test_a_next_that_is_not_a_path_on_this_site_goes_to_the_account_page(logged_in_client, user, target):
    response = logged_in_client.post("/accounts/me/novelty/", {"novelty": "0.5", "next": target})
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
