"""Catalog API: listing filters, ordering and pagination, detail, similar, score, people, genres,
platforms and release facts; inactive titles are invisible everywhere."""
import pytest

from catalog.models import Title

from .api_fixtures import *  # noqa: F401,F403


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    return [item["name"] for item in (body["results"] if isinstance(body, dict) else body)]


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"kind": "series"}, ["The Office", "The Wire"]),
        ({"kind": "movie", "genre": "comedy"}, ["Clue", "Up"]),
        ({"platform": "netflix"}, ["Heat", "The Office"]),
        ({"platform": "disney-plus", "genre": "Drama"}, ["Up"]),
        ({"year_min": 2000}, ["The Office", "The Wire", "Up"]),
        ({"year_min": 1990, "year_max": 2005}, ["Heat", "The Office", "The Wire"]),
        ({"search": "the"}, ["The Office", "The Wire"]),
        ({"platform": "nowhere"}, []),
    ],
)
def test_title_filters(api_client, catalog, params, expected):
    assert sorted(names(api_client.get("/api/v1/titles/", params))) == expected


def test_min_average_and_min_votes(api_client, rated_catalog):
    assert names(api_client.get("/api/v1/titles/", {"min_average": 3.5, "ordering": "-average"})) == ["Heat", "Up"]
    assert names(api_client.get("/api/v1/titles/", {"min_votes": 2, "ordering": "name"})) == ["Heat", "Up"]


@pytest.mark.parametrize(
    "ordering,expected",
    [
        ("name", ["Clue", "Heat", "The Office", "The Wire", "Up"]),
        ("-name", ["Up", "The Wire", "The Office", "Heat", "Clue"]),
        ("year", ["Clue", "Heat", "The Wire", "The Office", "Up"]),
        ("-year", ["Up", "The Office", "The Wire", "Heat", "Clue"]),
        ("-average", ["Heat", "Up", "Clue", "The Office", "The Wire"]),
        ("popular", ["Heat", "Up", "Clue", "The Office", "The Wire"]),
    ],
)
def test_title_ordering(api_client, rated_catalog, ordering, expected):
    assert names(api_client.get("/api/v1/titles/", {"ordering": ordering})) == expected


def test_genre_filter_does_not_multiply_counts(api_client, rated_catalog):
    up = api_client.get("/api/v1/titles/", {"genre": "Drama", "search": "up"}).json()["results"][0]
    assert (up["rating_count"], up["rating_average"]) == (2, 3.75)


@pytest.mark.parametrize(
    "params,field",
    [
        ({"kind": "opera"}, "kind"),
        ({"ordering": "random"}, "ordering"),
        ({"year_min": 1200}, "year_min"),
        ({"year_min": 2010, "year_max": 2000}, "year_max"),
        ({"min_average": 7}, "min_average"),
        ({"min_average": "high"}, "min_average"),
        ({"search": "x" * 201}, "search"),
        ({"search": "nul\x00byte"}, "search"),
    ],
)
def test_bad_title_filters_are_400(api_client, catalog, params, field):
    response = api_client.get("/api/v1/titles/", params)
    assert response.status_code == 400
    assert field in response.json() and response.json()["code"] in {"invalid", "invalid_choice", "min_value", "max_length", "null_characters_not_allowed", "max_value"}


def test_page_size_and_pages(api_client, catalog):
    first = api_client.get("/api/v1/titles/", {"page_size": 2, "ordering": "name"}).json()
    assert first["count"] == 5 and [t["name"] for t in first["results"]] == ["Clue", "Heat"] and first["next"]
    third = api_client.get("/api/v1/titles/", {"page_size": 2, "ordering": "name", "page": 3}).json()
    assert [t["name"] for t in third["results"]] == ["Up"] and third["next"] is None
    missing = api_client.get("/api/v1/titles/", {"page": 99})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_title_detail_lists_people_and_platforms(api_client, rated_catalog):
    heat = rated_catalog["heat"]
    body = api_client.get(f"/api/v1/titles/{heat.pk}/").json()
    assert (body["rating_count"], body["rating_average"], body["genres"]) == (3, 4.5, ["Drama"])
    assert [(p["name"], p["role"], p["character"]) for p in body["people"]] == [
        ("Al Pacino", "actor", "Vincent Hanna"), ("Michael Mann", "director", ""),
    ]
    assert body["platforms"] == [{"slug": "netflix", "name": "Netflix", "colour": "#4b5563", "logo_url": "", "platform_item_id": "s2",
                                  "date_added": "2021-02-05", "mine": False}]


@pytest.mark.parametrize("path", ["abc", "0", str(10**30), "-3"])
def test_title_ids_that_cannot_exist_are_404(api_client, db, path):
    response = api_client.get(f"/api/v1/titles/{path}/")
    assert response.status_code == 404 and response.json()["status"] == 404


def test_inactive_titles_vanish_from_the_api(api_client, rated_catalog):
    heat = rated_catalog["heat"]
    Title.objects.filter(pk=heat.pk).update(is_active=False)
    assert "Heat" not in names(api_client.get("/api/v1/titles/"))
    for path in ("", "score/", "similar/"):
        assert api_client.get(f"/api/v1/titles/{heat.pk}/{path}").status_code == 404
    mann = api_client.get(f"/api/v1/people/{rated_catalog['mann'].pk}/").json()
    assert mann["director"]["count"] == 0
    netflix = next(p for p in api_client.get("/api/v1/platforms/").json() if p["slug"] == "netflix")
    assert netflix["title_count"] == 1


def test_similar_titles_without_a_model_share_a_genre(api_client, rated_catalog):
    similar = api_client.get(f"/api/v1/titles/{rated_catalog['clue'].pk}/similar/", {"n": 5}).json()
    assert [t["name"] for t in similar] == ["Up"]
    assert api_client.get(f"/api/v1/titles/{rated_catalog['clue'].pk}/similar/", {"n": 0}).status_code == 400


def test_similar_titles_from_the_model(api_client, taste_catalog):
    from recommender.training import train_model_version

    train_model_version()
    action = taste_catalog["action"]
    similar = api_client.get(f"/api/v1/titles/{action[0].pk}/similar/", {"n": 5}).json()
    assert len(similar) == 5
    assert {t["id"] for t in similar} <= {t.pk for t in action[1:]}


def test_title_score_and_vote_count(api_client, rated_catalog):
    heat = rated_catalog["heat"]
    body = api_client.get(f"/api/v1/titles/{heat.pk}/score/").json()
    assert body["title"] == {"id": heat.pk, "name": "Heat", "year": 1995, "genres": ["Drama"]}
    assert (body["rating_count"], body["rating_average"]) == (3, 4.5)
    assert body["tmdb_vote_average"] == pytest.approx(7.4) and body["tmdb_vote_count"] == 400
    # Damped towards the global mean of all 6 ratings (23/6) with 20 virtual ratings.
    assert body["damped_average"] == pytest.approx((13.5 + 20 * 23 / 6) / 23, abs=1e-4)
    unrated = api_client.get(f"/api/v1/titles/{rated_catalog['wire'].pk}/score/").json()
    assert (unrated["rating_count"], unrated["rating_average"], unrated["tmdb_vote_count"]) == (0, None, None)


def test_genres_and_platforms_with_counts(api_client, catalog):
    assert api_client.get("/api/v1/genres/").json() == [
        {"id": catalog["comedy"].pk, "name": "Comedy", "title_count": 3},
        {"id": catalog["drama"].pk, "name": "Drama", "title_count": 3},
    ]
    assert [(p["slug"], p["title_count"]) for p in api_client.get("/api/v1/platforms/").json()] == [
        ("disney-plus", 1), ("netflix", 2),
    ]


def test_people_search_and_role(api_client, catalog):
    everyone = api_client.get("/api/v1/people/").json()
    assert [(p["name"], p["credit_count"]) for p in everyone["results"]] == [("Al Pacino", 2), ("Michael Mann", 1)]
    directors = api_client.get("/api/v1/people/", {"role": "director"}).json()["results"]
    assert [p["name"] for p in directors] == ["Michael Mann"]
    assert [p["name"] for p in api_client.get("/api/v1/people/", {"search": "paci"}).json()["results"]] == ["Al Pacino"]
    assert api_client.get("/api/v1/people/", {"role": "writer"}).status_code == 400


def test_filmography_with_counts_and_averages(api_client, rated_catalog):
    pacino = api_client.get(f"/api/v1/people/{rated_catalog['pacino'].pk}/").json()
    assert pacino["name"] == "Al Pacino" and pacino["director"]["count"] == 0
    actor = pacino["actor"]
    assert (actor["count"], actor["rated_count"]) == (2, 2)
    assert [t["name"] for t in actor["titles"]] == ["Heat", "Clue"]
    assert actor["average_rating"] == pytest.approx((4.5 + 2.0) / 2)
    assert actor["average_tmdb_vote"] == pytest.approx((7.4 + 7.4) / 2)
    only_director = api_client.get(f"/api/v1/people/{rated_catalog['mann'].pk}/", {"role": "director"}).json()
    assert "actor" not in only_director and only_director["director"]["average_rating"] == 4.5
    assert api_client.get("/api/v1/people/987654321/").status_code == 404


def test_releases_per_month_and_weekday(api_client, catalog):
    months = api_client.get("/api/v1/facts/releases-per-month/").json()
    assert len(months) == 12 and months[11] == {"month": 12, "name": "December", "count": 2}
    assert sum(m["count"] for m in months) == 4
    weekdays = api_client.get("/api/v1/facts/releases-per-weekday/").json()
    assert [(d["name"], d["count"]) for d in weekdays if d["count"]] == [("Thursday", 1), ("Friday", 3)]
    in_2009 = api_client.get("/api/v1/facts/releases-per-month/", {"year": 2009}).json()
    assert [m["month"] for m in in_2009 if m["count"]] == [5]


def test_platform_additions_per_month_and_weekday(api_client, catalog):
    added = api_client.get("/api/v1/facts/releases-per-month/", {"by": "added", "platform": "netflix"}).json()
    assert [(m["month"], m["count"]) for m in added if m["count"]] == [(1, 1), (2, 1)]
    weekdays = api_client.get("/api/v1/facts/releases-per-weekday/", {"by": "added"}).json()
    assert [(d["weekday"], d["count"]) for d in weekdays if d["count"]] == [(1, 1), (2, 1), (5, 1)]
    assert api_client.get("/api/v1/facts/releases-per-month/", {"by": "tomorrow"}).status_code == 400
