"""Browse and search, title pages, people pages and insights."""
import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.models import Title
from ratings.models import Dismissal, Rating, WatchlistEntry

from .test_pages_fixtures import catalog, rate_action_fan, trained  # noqa: F401


def names(response):
    return [t.name for t in response.context["page"]]


# Browse and search


def test_browse_search_by_person(client, catalog):
    response = client.get(reverse("catalog:title-list"), {"person": "ann dir"})
    assert response.status_code == 200
    assert set(response.context["page"]) == set(catalog["action"])
    response = client.get(reverse("catalog:title-list"), {"person": "Rob Romance", "kind": "series"})
    assert list(response.context["page"]) == [catalog["series"]]


def test_title_search_suggests_matching_people(client, catalog):
    response = client.get(reverse("catalog:title-list"), {"q": "romance"})
    assert [p.name for p in response.context["people"]] == ["Rob Romance"]
    assert reverse("catalog:person-detail", args=[catalog["star"].pk]).encode() in response.content


def test_browse_filters_platform_decade_year_range_and_min_average(client, catalog):
    assert set(client.get(reverse("catalog:title-list"), {"platform": "netflix"}).context["page"]) == set(catalog["action"])
    decade = client.get(reverse("catalog:title-list"), {"decade": "2000"}).context["page"]
    assert {t.year for t in decade} == set(range(2000, 2010))
    years = client.get(reverse("catalog:title-list"), {"year_min": "1995", "year_max": "1997"}).context["page"]
    assert sorted(t.year for t in years) == [1995, 1996, 1997]
    loved = catalog["romance"][5]
    from .conftest import make_user

    Rating.objects.bulk_create([Rating(user=make_user(f"fan{i}"), title=loved, score=5.0) for i in range(40)])
    good = client.get(reverse("catalog:title-list"), {"min_avg": "4"}).context["page"]
    assert list(good) == [loved]


def test_browse_sorts(client, catalog):
    newest = client.get(reverse("catalog:title-list"), {"sort": "newest"}).context["page"]
    assert [t.year for t in newest] == sorted((t.year for t in newest), reverse=True)
    by_name = names(client.get(reverse("catalog:title-list"), {"sort": "title"}))
    assert by_name == sorted(by_name)
    average = client.get(reverse("catalog:title-list"), {"sort": "average"}).context["page"]
    values = [t.rating_average for t in average]
    assert values == sorted(values, reverse=True)
    popular = client.get(reverse("catalog:title-list"), {"sort": "popular"}).context["page"]
    counts = [t.rating_count for t in popular]
    assert counts == sorted(counts, reverse=True)


def test_browse_sort_predicted_for_me(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    response = logged_in_client.get(reverse("catalog:title-list"), {"sort": "predicted"})
    titles = list(response.context["page"])
    rated = set(Rating.objects.filter(user=user).values_list("title_id", flat=True))
    assert len(titles) == 30 - len(rated) and not rated & {t.pk for t in titles}
    predicted = [response.context["predicted"][t.pk] for t in titles]
    assert predicted == sorted(predicted, reverse=True)
    assert titles[0] in trained["action"]
    assert "for you" in response.content.decode()


def test_browse_sort_predicted_without_ratings_falls_back(client, catalog):
    response = client.get(reverse("catalog:title-list"), {"sort": "predicted"})
    assert response.status_code == 200 and response.context["page"].paginator.count == 30
    assert b"Log in and rate a few titles" in response.content


def test_browse_shows_my_scores(logged_in_client, user, catalog):
    Rating.objects.create(user=user, title=catalog["action"][0], score=3.5)
    body = logged_in_client.get(reverse("catalog:title-list"), {"q": catalog["action"][0].name}).content.decode()
    assert "You: <span aria-hidden=\"true\">★</span> 3.5" in body


def test_browse_empty_state_offers_person_search(client, catalog):
    response = client.get(reverse("catalog:title-list"), {"q": "Nobody Atall"})
    body = response.content.decode()
    assert "No titles match" in body and "?person=Nobody%20Atall" in body and "clear filters" in body


def test_browse_ignores_bad_parameters(client, catalog):
    response = client.get(reverse("catalog:title-list"), {"decade": "abc", "year_min": "-5", "min_avg": "9", "sort": "evil", "kind": "x"})
    assert response.status_code == 200 and response.context["page"].paginator.count == 30


# Title page


def test_title_page_shows_people_platforms_histogram_and_similar(client, trained):
    title = trained["action"][0]
    response = client.get(title.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ann Director" in body and "Netflix" in body and "Where to watch" in body
    assert sum(bar["count"] for bar in response.context["histogram"]) == title.ratings.count()
    assert response.context["similar"] and title not in response.context["similar"]
    assert "More like" in body and "Boom." in body


def test_title_page_for_series_shows_seasons(client, catalog):
    body = client.get(catalog["series"].get_absolute_url()).content.decode()
    assert "2 seasons" in body and "Rob Romance" in body and "as Lover" in body


def test_title_page_shows_prediction_and_because(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    title = trained["action"][10]
    response = logged_in_client.get(title.get_absolute_url())
    assert response.context["predicted"] is not None and response.context["predicted"] > 3.5
    assert response.context["because"] is not None and response.context["because"].title in trained["action"]
    body = response.content.decode()
    assert "We predict you would give it" in body and "because you rated" in body
    assert 'name="score" value="4.5"' in body  # the half-star widget


def test_title_page_shows_my_rating_checked_and_watchlist_state(logged_in_client, user, catalog):
    title = catalog["romance"][3]
    Rating.objects.create(user=user, title=title, score=4.5)
    WatchlistEntry.objects.create(user=user, title=title)
    Dismissal.objects.create(user=user, title=title)
    body = logged_in_client.get(title.get_absolute_url()).content.decode()
    assert 'value="4.5" id="star-%d-9" checked' % title.pk in body
    assert "On your watchlist" in body and "Hidden from recommendations" in body


def test_title_page_anonymous_invites_to_log_in(client, catalog):
    body = client.get(catalog["action"][1].get_absolute_url()).content.decode()
    assert "Log in</a> or <a" in body and "data-stars" not in body


# People


def test_person_page_lists_titles_by_role(client, catalog):
    response = client.get(reverse("catalog:person-detail", args=[catalog["director"].pk]))
    assert response.status_code == 200
    [(label, data)] = response.context["roles"]
    assert label == "Director" and data["count"] == 15
    assert client.get(reverse("catalog:person-detail", args=[999999])).status_code == 404


# Insights


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_insights_page_draws_charts_from_the_database(client, catalog, fresh_cache):
    response = client.get(reverse("insights"))
    assert response.status_code == 200
    data = response.context["data"]
    assert data["rating_distribution"]["total"] == Rating.objects.count()
    assert sum(data["ratings_per_user"]["users"]) == data["ratings_per_user"]["n_users"] == 40
    assert 0 < data["ratings_per_user"]["top_1pct_share"] < 1
    assert sum(data["titles_per_year"]["counts"]) == Title.objects.count()
    assert dict(zip(data["titles_per_genre"]["labels"], data["titles_per_genre"]["counts"])) == {"Action": 15, "Romance": 15}
    platforms = data["kinds_per_platform"]
    assert platforms["labels"] == ["Disney+", "Netflix"] and platforms["movies"] == [5, 15] and platforms["series"] == [1, 0]
    assert sum(m["count"] for m in data["releases_by_month"]) == 15
    assert sum(m["count"] for m in data["added_by_weekday"]) == 21
    assert data["directors"]["by_count"][0] == {"id": catalog["director"].pk, "name": "Ann Director", "titles": 15, "average": data["directors"]["by_count"][0]["average"]}
    assert data["actors"]["by_average"][0]["name"] == "Rob Romance"
    body = response.content.decode()
    assert "chart.umd.min.js" in body and 'id="insights-data"' in body and 'data-chart="rating_distribution"' in body


def test_insights_with_an_empty_database(client, db, fresh_cache):
    response = client.get(reverse("insights"))
    assert response.status_code == 200
    # Only charts with data behind them: no platforms, release dates or credits yet.
    for heading in (b"Movies and series per platform", b"Releases by month", b"Top directors", b"Running times", b"IMDb ratings"):
        assert heading not in response.content
    assert b"Rating distribution" not in response.content and b"Nothing to chart yet" in response.content


def test_chart_library_is_vendored_with_its_licence():
    from django.conf import settings

    vendor = settings.BASE_DIR / "static" / "vendor" / "chartjs"
    assert (vendor / "chart.umd.min.js").read_text().startswith("/*!\n * Chart.js v4")
    assert "MIT" in (vendor / "LICENSE.md").read_text()


def test_a_similar_title_the_user_rated_shows_their_score_not_a_prediction(logged_in_client, user, trained):
    rate_action_fan(user, trained)
    title = trained["action"][5]
    response = logged_in_client.get(reverse("catalog:title-detail", args=[title.pk]))
    similar_ids = [t.pk for t in response.context["similar"]]
    rated = {t.pk for t in trained["action"][:4]} & set(similar_ids)
    assert rated, "the fixture's action titles are each other's neighbours"
    assert response.context["similar_rated"] == {pk: 5.0 for pk in rated}
    assert not rated & set(response.context["similar_predicted"])
    assert response.context["similar_predicted"]  # the unrated ones are still predicted
    cards = response.content.decode().split('id="similar-heading"')[1]
    for pk in rated:
        card = cards.split(f'data-title-id="{pk}"')[1].split("</li>")[0]
        assert "You:" in card and "for you" not in card
