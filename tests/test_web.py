import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from catalog.models import Genre, Title
from ratings.models import Rating
from recommender.training import train_model_version

from .conftest import PASSWORD

User = get_user_model()


@pytest.fixture
def title(db):
    drama = Genre.objects.create(name="Drama")
    title = Title.objects.create(name="Casablanca", year=1942, description="Of all the gin joints…")
    title.genres.add(drama)
    return title


# Sign-up, log in, log out


def test_signup_page_renders(client, db):
    response = client.get(reverse("signup"))
    assert response.status_code == 200
    assert b"Create your account" in response.content


def test_signup_creates_account_and_logs_in(client, db):
    response = client.post(reverse("signup"), {"username": "carol", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("recommender:onboarding")  # sign-up now starts with onboarding (issue 5)
    assert User.objects.filter(username="carol").exists()
    assert client.get(reverse("ratings:mine")).status_code == 200


def test_signup_rejects_weak_password(client, db):
    response = client.post(reverse("signup"), {"username": "carol", "password1": "123", "password2": "123"})
    assert response.status_code == 400
    assert not User.objects.filter(username="carol").exists()


def test_login_and_logout(client, user):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("ratings:mine")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("ratings:mine")).status_code == 302


def test_login_with_wrong_password_fails(client, user):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# Browsing


def test_catalog_paginates(client, db):
    Title.objects.bulk_create([Title(name=f"Film {i:03}") for i in range(30)])
    first = client.get(reverse("catalog:title-list"))
    second = client.get(reverse("catalog:title-list"), {"page": 2})
    assert first.status_code == second.status_code == 200
    assert len(first.context["page"]) == 24
    assert len(second.context["page"]) == 6


def test_catalog_search_by_title(client, title):
    Title.objects.create(name="Vertigo", year=1958)
    response = client.get(reverse("catalog:title-list"), {"q": "casa"})
    assert [t.name for t in response.context["page"]] == ["Casablanca"]


def test_catalog_filter_by_genre(client, title):
    Title.objects.create(name="Vertigo", year=1958)
    response = client.get(reverse("catalog:title-list"), {"genre": "drama"})
    assert [t.name for t in response.context["page"]] == ["Casablanca"]


def test_catalog_shows_a_useful_empty_state(client, title):
    response = client.get(reverse("catalog:title-list"), {"q": "no such film"})
    assert response.status_code == 200
    assert b"No titles match" in response.content


def test_catalog_hides_inactive_titles(client, title):
    title.is_active = False
    title.save()
    assert client.get(reverse("catalog:title-list")).context["page"].paginator.count == 0
    assert client.get(title.get_absolute_url()).status_code == 404


def test_title_page_shows_year_genres_and_stats(client, title, user, other_user):
    Rating.objects.create(user=user, title=title, score=4.0)
    Rating.objects.create(user=other_user, title=title, score=5.0)
    response = client.get(title.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "1942" in body and "Drama" in body
    assert "4.50 ★" in body and "2 ratings" in body


def test_title_page_escapes_catalog_text(client, db):
    title = Title.objects.create(name="<script>alert(1)</script>", description="<b>bold</b>")
    body = client.get(title.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# Rating through the form


def test_rate_change_and_remove(logged_in_client, user, title):
    url = reverse("ratings:rate", args=[title.pk])
    assert logged_in_client.post(url, {"score": "3.5"}).status_code == 302
    assert Rating.objects.get(user=user, title=title).score == 3.5
    logged_in_client.post(url, {"score": "5.0"})
    assert Rating.objects.get(user=user, title=title).score == 5.0
    logged_in_client.post(reverse("ratings:delete", args=[title.pk]))
    assert not Rating.objects.filter(user=user, title=title).exists()


@pytest.mark.parametrize("score", ["4.3", "0", "6", "abc", ""])
def test_form_rejects_bad_scores(logged_in_client, user, title, score):
    response = logged_in_client.post(reverse("ratings:rate", args=[title.pk]), {"score": score}, follow=True)
    assert response.status_code == 200
    assert b"Choose a rating" in response.content
    assert not Rating.objects.exists()


def test_rating_requires_login(client, title):
    response = client.post(reverse("ratings:rate", args=[title.pk]), {"score": "4.0"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Rating.objects.exists()


def test_rating_form_requires_csrf_token(user, title):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("ratings:rate", args=[title.pk]), {"score": "4.0"})
    assert response.status_code == 403
    assert not Rating.objects.exists()


def test_rate_ignores_offsite_next(logged_in_client, title):
    response = logged_in_client.post(reverse("ratings:rate", args=[title.pk]), {"score": "4.0", "next": "https://evil.example/"})
    assert response.url == title.get_absolute_url()


def test_rating_an_unknown_title_is_404(logged_in_client, db):
    assert logged_in_client.post(reverse("ratings:rate", args=[999999]), {"score": "4.0"}).status_code == 404


def test_removing_only_touches_own_rating(logged_in_client, other_user, title):
    Rating.objects.create(user=other_user, title=title, score=2.0)
    logged_in_client.post(reverse("ratings:delete", args=[title.pk]))
    assert Rating.objects.filter(user=other_user, title=title).exists()


# Personal pages


@pytest.mark.parametrize("name", ["ratings:mine", "recommender:for-you"])
def test_personal_pages_require_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_my_ratings_lists_only_my_ratings(logged_in_client, user, other_user, title):
    other = Title.objects.create(name="Vertigo", year=1958)
    Rating.objects.create(user=user, title=title, score=4.0)
    Rating.objects.create(user=other_user, title=other, score=1.0)
    response = logged_in_client.get(reverse("ratings:mine"))
    assert [r.title.name for r in response.context["page"]] == ["Casablanca"]
    assert b"Vertigo" not in response.content


def test_my_ratings_empty_state(logged_in_client):
    response = logged_in_client.get(reverse("ratings:mine"))
    assert b"You have not rated anything yet" in response.content


def test_new_user_sees_popular_titles_and_an_invitation(logged_in_client, taste_catalog):
    response = logged_in_client.get(reverse("recommender:for-you"))
    assert response.status_code == 200
    assert response.context["personalized"] is False
    assert len(response.context["recommendations"]) == 20
    assert b"Rate at least 3" in response.content


def test_recommendations_become_personal_and_exclude_rated(logged_in_client, user, taste_catalog):
    train_model_version()
    for title in taste_catalog["action"][:4]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["romance"][:2]:
        Rating.objects.create(user=user, title=title, score=1.0)
    response = logged_in_client.get(reverse("recommender:for-you"), {"n": 5})
    recommendations = response.context["recommendations"]
    assert response.context["personalized"] is True
    assert len(recommendations) == 5
    rated = set(Rating.objects.filter(user=user).values_list("title_id", flat=True))
    assert not rated & {r.title.pk for r in recommendations}
    assert all(r.title in taste_catalog["action"] for r in recommendations)
    assert b"\xe2\x98\x85" in response.content  # predicted stars are shown


def test_home_page_works_with_an_empty_catalog(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"The catalog is empty" in response.content


def test_unknown_page_uses_the_site_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"StreamRec" in response.content
