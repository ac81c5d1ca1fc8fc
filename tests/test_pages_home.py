"""Home rows, "For you" with its filters, and onboarding."""
import re

import pytest
from django.urls import reverse

from ratings.models import Rating
from ratings.services import dismiss_title

from .test_pages_fixtures import catalog, rate_action_fan, trained  # noqa: F401


def row_keys(response):
    return [row.key for row in response.context["rows"]]


def test_anonymous_home_shows_hero_and_popular_rows(client, catalog):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Sign up free" in response.content
    keys = row_keys(response)
    assert keys[0] == "popular"
    assert "popular-now" in keys and "new-netflix" in keys
    assert not response.context["personal"]


def test_new_user_home_invites_to_rate(logged_in_client, catalog):
    response = logged_in_client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Rate at least 3" in response.content
    assert reverse("recommender:onboarding").encode() in response.content


def test_personal_home_has_top_picks_because_genre_platform_and_popular_rows(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    # Two a row: the 30-title catalog would otherwise run out (no title shows in two rows).
    response = logged_in_client.get(reverse("home"), {"n": 2})
    assert response.status_code == 200
    assert response.context["personal"]
    keys = row_keys(response)
    assert keys[0] == "top"
    assert any(k.startswith("because-") for k in keys)
    assert "genre-Action" in keys
    assert "new-netflix" in keys and "popular-now" in keys
    body = response.content.decode()
    assert "Top picks for you" in body and "New on Netflix" in body
    assert re.search(r"Because you rated Action Story \d+ 5 ★", body)
    rated = set(Rating.objects.filter(user=user).values_list("title_id", flat=True))
    shown = [card.title.pk for row in response.context["rows"] for card in row.cards]
    assert len(shown) == len(set(shown)) and not rated & set(shown)
    top = response.context["rows"][0].cards
    assert len(top) == 2 and all(card.personalized and card.predicted and card.title in trained["action"] for card in top)


def test_home_filters_apply_to_every_row(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    response = logged_in_client.get(reverse("home"), {"kind": "series"})
    for row in response.context["rows"]:
        assert all(card.title.kind == "series" for card in row.cards), row.key
    response = logged_in_client.get(reverse("home"), {"platform": "disney-plus", "n": 3})
    disney_ids = set(trained["disney"].availabilities.values_list("title_id", flat=True))
    for row in response.context["rows"]:
        assert len(row.cards) <= 3
        assert {card.title.pk for card in row.cards} <= disney_ids, row.key


def test_home_hides_dismissed_titles(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    first = logged_in_client.get(reverse("home")).context["rows"][0].cards[0].title
    dismiss_title(user=user, title=first)  # what the hide button does (a raw INSERT moves no cache revision)
    response = logged_in_client.get(reverse("home"))
    for row in response.context["rows"]:
        assert first.pk not in {card.title.pk for card in row.cards}


def test_home_with_filters_matching_nothing_says_so(client, catalog):
    response = client.get(reverse("home"), {"genre": "Western"})
    assert response.status_code == 200
    assert b"Nothing matches these filters" in response.content


# For you


def test_for_you_with_genre_checkboxes_kind_and_count(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    response = logged_in_client.get(reverse("recommender:for-you"), {"genre": ["Action", "Romance"], "n": 15})
    recs = response.context["recommendations"]
    assert response.context["personalized"]
    assert len(recs) == 15
    # The two genres' lists in turns, each in the model's order.
    action = [r.title.pk for r in recs if r.title in trained["action"]]
    romance = [r.title.pk for r in recs if r.title in trained["romance"]]
    assert set(action) | set(romance) == {r.title.pk for r in recs}
    assert recs[0].title.pk in (action[0], romance[0]) and recs[1].title.pk in (action[0], romance[0])
    alone = logged_in_client.get(reverse("recommender:for-you"), {"genre": "Action", "n": 15}).context["recommendations"]
    assert action == [r.title.pk for r in alone][: len(action)]
    body = response.content.decode()
    assert 'value="Action" checked' in body and 'value="Romance" checked' in body
    response = logged_in_client.get(reverse("recommender:for-you"), {"genre": "Romance", "n": 5})
    assert all(r.title in trained["romance"] for r in response.context["recommendations"])
    response = logged_in_client.get(reverse("recommender:for-you"), {"kind": "series"})
    assert [r.title for r in response.context["recommendations"]] == [trained["series"]]


def test_for_you_platform_filter(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    response = logged_in_client.get(reverse("recommender:for-you"), {"platform": "disney-plus"})
    disney_ids = set(trained["disney"].availabilities.values_list("title_id", flat=True))
    recs = response.context["recommendations"]
    assert recs and {r.title.pk for r in recs} <= disney_ids


def test_for_you_cards_offer_watchlist_and_not_interested(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    body = logged_in_client.get(reverse("recommender:for-you")).content.decode()
    assert "Not interested" in body and "+ Watchlist" in body and "for you" in body
    assert "Because you rated" in body


@pytest.mark.parametrize("name", ["recommender:for-you", "recommender:onboarding", "recommender:know-you"])
def test_recommendation_pages_require_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Onboarding


def test_signup_leads_to_onboarding(client, catalog):
    from .conftest import PASSWORD

    response = client.post(reverse("signup"), {"username": "dora", "password1": PASSWORD, "password2": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("recommender:onboarding")
    assert b"Rate a few titles you have seen" in response.content


def test_onboarding_spreads_across_genres_and_skips_rated(logged_in_client, user, catalog):
    Rating.objects.create(user=user, title=catalog["action"][0], score=4.0)
    response = logged_in_client.get(reverse("recommender:onboarding"))
    assert response.status_code == 200
    titles = response.context["titles"]
    assert catalog["action"][0] not in titles
    first_ten = titles[:10]
    assert any(t in catalog["action"] for t in first_ten) and any(t in catalog["romance"] for t in first_ten)
    assert response.context["rated"] == 1
    body = response.content.decode()
    assert "data-stars" in body and "Skip for now" in body


def test_onboarding_genre_group_and_other_titles(logged_in_client, catalog):
    response = logged_in_client.get(reverse("recommender:onboarding"), {"genre": "Romance"})
    assert response.context["titles"] and all(t in catalog["romance"] for t in response.context["titles"])
    first = logged_in_client.get(reverse("recommender:onboarding")).context["titles"]
    from recommender.views import ONBOARDING_PAGE

    assert len(first) == min(ONBOARDING_PAGE, 30)
    second = logged_in_client.get(reverse("recommender:onboarding"), {"batch": 1}).context["titles"]
    assert set(second).isdisjoint(first)


def test_know_you_suggests_lesser_known_titles(logged_in_client, catalog):
    from django.db.models import Count

    from catalog.models import Title

    response = logged_in_client.get(reverse("recommender:know-you"))
    assert response.status_code == 200 and b"Help us know you" in response.content
    titles = response.context["titles"]
    most_rated = Title.objects.annotate(n=Count("ratings")).order_by("-n", "pk").first()
    assert titles and most_rated not in titles


def test_popular_now_is_cached_but_exclusions_and_deactivation_apply_at_once(taste_catalog):
    from catalog.discovery import popular_now

    from catalog.curation import set_titles_active

    first = [title.pk for title, _ in popular_now(5)]
    assert len(first) == 5
    set_titles_active([first[0]], False)
    after = [title.pk for title, _ in popular_now(5, exclude_ids={first[1]})]
    assert len(after) == 5 and first[0] not in after and first[1] not in after
    assert after[:3] == first[2:5]  # the cached order, without the two


def test_popular_now_ranks_past_the_cache_for_a_user_who_rated_most_of_it(taste_catalog, monkeypatch):
    from catalog import discovery

    monkeypatch.setattr(discovery, "POPULAR_RANKED", 10)
    cached = [title.pk for title, _ in discovery.popular_now(10)]
    assert len(cached) == 10
    more = [title.pk for title, _ in discovery.popular_now(5, exclude_ids=set(cached))]
    assert len(more) == 5 and not set(more) & set(cached)
