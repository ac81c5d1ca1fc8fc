"""Onboarding that learns: questions ordered by the information a rating gives the model about a
new user (catalog.onboarding.expected_information), and "Haven't seen" in one click."""
import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalog.discovery import onboarding_titles
from catalog.models import Genre, Title
from catalog.onboarding import Candidate, expected_information, spread, user_covariance
from ratings.models import NotSeen, Rating
from recommender import onboarding

# Users vary a lot along the first factor, little along the second.
USERS = np.array([[2.0, 0.1], [-2.0, -0.1], [1.5, 0.0], [-1.5, 0.1]])


def test_a_title_that_splits_users_teaches_more_than_one_they_agree_on():
    items = np.array([[1.0, 0.0], [0.0, 1.0]])  # the first lies along the direction users differ in
    assert expected_information(np.array([0.5, 0.5]), items, user_covariance(USERS), 2) == [0, 1]


def test_a_title_few_have_seen_teaches_less_than_one_most_have():
    items = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert expected_information(np.array([0.05, 0.6]), items, user_covariance(USERS), 1) == [1]


def test_after_one_question_the_next_asks_about_another_side_of_taste():
    # Title 1 is a near copy of title 0; title 2 differs. Once 0 is asked, 2 teaches more than 1.
    items = np.array([[1.0, 0.0], [0.98, 0.05], [0.0, 1.5]])
    covariance = np.array([[1.0, 0.0], [0.0, 0.3]])
    order = expected_information(np.array([0.9, 0.9, 0.9]), items, covariance, 3)
    assert order == [0, 2, 1]


def test_without_a_model_the_order_is_popular_first_across_genres():
    candidates = [Candidate(f"drama{i}", 100 - i, frozenset({"Drama"}), 1990) for i in range(5)]
    candidates.append(Candidate("horror", 60, frozenset({"Horror"}), 1990))
    assert spread(candidates, 2) == ["drama0", "horror"]


@pytest.fixture
def divisive_catalog(db):
    """Two Drama titles rated by the same 30 people: one all 5 stars, one split from 1 to 5; and
    a Comedy title rated by 20 of them, split too."""
    drama, comedy = Genre.objects.create(name="Drama"), Genre.objects.create(name="Comedy")
    loved = Title.objects.create(name="Loved by all", year=1990)
    split = Title.objects.create(name="Splits the room", year=1991)
    funny = Title.objects.create(name="Some laugh", year=2005)
    loved.genres.add(drama)
    split.genres.add(drama)
    funny.genres.add(comedy)
    raters = [User.objects.create(username=f"rater{i}") for i in range(30)]
    ratings = [Rating(user=u, title=loved, score=5.0) for u in raters]
    ratings += [Rating(user=u, title=split, score=float(1 + i % 5)) for i, u in enumerate(raters)]
    ratings += [Rating(user=u, title=funny, score=float(0.5 + (i % 10) / 2)) for i, u in enumerate(raters[:20])]
    Rating.objects.bulk_create(ratings)
    return {"loved": loved, "split": split, "funny": funny}


def test_the_site_asks_in_the_order_of_expected_information_from_the_serving_model(taste_catalog, user):
    from recommender.serving import current_model
    from recommender.training import train_model_version

    without_model = onboarding_titles(user, n=6, ask_first=onboarding.ask_first)
    assert without_model == onboarding_titles(user, n=6)  # popular first, spread, until a model serves
    assert train_model_version().activated
    model = current_model()
    offered = onboarding_titles(user, n=6, ask_first=onboarding.ask_first)
    pool = Title.objects.filter(ratings__isnull=False).distinct()
    counts = {t.pk: t.ratings.count() for t in pool}
    ids = sorted(counts, key=lambda pk: (-counts[pk], pk))
    rows = [model.row_of_title[pk] for pk in ids]
    share = np.array([counts[pk] for pk in ids]) / len(model.factors.user_ids)
    expected = [ids[i] for i in expected_information(np.minimum(share, 1.0), model.factors.qi[rows],
                                                     user_covariance(model.factors.pu), 6)]
    assert [t.pk for t in offered] == expected
    client = Client()
    client.force_login(user)
    html = client.get("/recommendations/welcome/").content.decode()
    positions = [html.index(f'data-title-id="{pk}"') for pk in expected]
    assert positions == sorted(positions)


def test_haven_t_seen_is_one_click_and_the_title_is_not_asked_again(divisive_catalog, user):
    client = Client()
    client.force_login(user)
    page = client.get("/recommendations/welcome/").content.decode()
    split = divisive_catalog["split"]
    assert f'action="/ratings/not-seen/{split.pk}/"' in page and ">Haven't seen</button>" in page
    response = client.post(f"/ratings/not-seen/{split.pk}/", {"next": "/recommendations/welcome/"})
    assert response.status_code == 302 and response["Location"] == "/recommendations/welcome/"
    assert NotSeen.objects.filter(user=user, title=split).exists()
    assert split not in onboarding_titles(user, n=3)
    # Not seen is not "not interested": the title may still be recommended, and nothing was rated.
    assert not user.dismissals.exists() and not user.ratings.exists()
    again = client.post(f"/ratings/not-seen/{split.pk}/", HTTP_ACCEPT="application/json")
    assert again.status_code == 200 and again.json()["not_seen"] is True
    assert NotSeen.objects.filter(user=user).count() == 1


def test_haven_t_seen_needs_a_signed_in_user_a_post_and_a_real_title(divisive_catalog, user):
    split = divisive_catalog["split"]
    anonymous = Client().post(f"/ratings/not-seen/{split.pk}/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    client = Client()
    client.force_login(user)
    assert client.get(f"/ratings/not-seen/{split.pk}/").status_code == 405
    assert client.post("/ratings/not-seen/999999/").status_code == 404
    assert not NotSeen.objects.exists()
