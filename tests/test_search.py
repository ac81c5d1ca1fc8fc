"""Typo-tolerant title search (catalog/search.py): the browse page and the API's ``search`` find near
spellings, closest names first, then the most rated; on PostgreSQL through pg_trgm and its GIN index,
and through the difflib fallback that SQLite uses."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from catalog import search
from catalog.models import Genre, Title
from catalog.selectors import TitleFilters, active_titles, title_ids_matching
from ratings.models import Rating

# name -> number of ratings (popularity)
TITLES = {"The Godfather": 6, "The Godfather: Part II": 4, "The Godfather: Part III": 1, "Godzilla": 5,
          "Heat": 1, "Heart": 3, "Father of the Bride": 2, "Toy Story": 5}


@pytest.fixture
def titles(db):
    drama = Genre.objects.create(name="Drama")
    raters = [get_user_model().objects.create_user(f"rater{i}", password="x") for i in range(max(TITLES.values()))]
    made = {}
    for name, count in TITLES.items():
        title = made[name] = Title.objects.create(name=name, year=1972)
        title.genres.add(drama)
        Rating.objects.bulk_create(Rating(user=raters[i], title=title, score=4.0) for i in range(count))
    return made


def api_names(api_client, **params) -> list[str]:
    response = api_client.get("/api/v1/titles/", params)
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def page_names(client, query: str) -> list[str]:
    response = client.get("/titles/", {"q": query})
    assert response.status_code == 200
    return [t.name for t in response.context["page"].object_list]


def test_a_misspelt_name_finds_the_title_in_the_api(api_client, titles):
    found = api_names(api_client, search="godfater")
    assert found[0] == "The Godfather"
    # Every near match is a Godfather; nothing unrelated.
    assert set(found) == {"The Godfather", "The Godfather: Part II", "The Godfather: Part III"}


def test_the_browse_page_finds_the_same_titles_in_the_same_order(client, api_client, titles):
    assert page_names(client, "godfater") == api_names(api_client, search="godfater")
    assert page_names(client, "godfater")[0] == "The Godfather"


def test_ranked_by_similarity_then_popularity(api_client, titles):
    # All three contain "godfather": most rated first.
    assert api_names(api_client, search="godfather") == ["The Godfather", "The Godfather: Part II", "The Godfather: Part III"]
    # "Heat" is the exact name: before "Heart", a near match with more ratings.
    found = api_names(api_client, search="heat")
    assert found[0] == "Heat"
    # An explicit ordering still applies to the matches.
    assert api_names(api_client, search="godfather", ordering="name") == ["The Godfather", "The Godfather: Part II", "The Godfather: Part III"]


def test_nothing_close_finds_nothing(api_client, client, titles):
    assert api_names(api_client, search="qwxzv") == []
    response = client.get("/titles/", {"q": "qwxzv"})
    assert response.status_code == 200 and response.context["page"].paginator.count == 0


def test_recommendation_filters_use_the_same_search(titles):
    ids = set(title_ids_matching(TitleFilters(search="godfater")))
    assert ids == {titles[n].pk for n in ("The Godfather", "The Godfather: Part II", "The Godfather: Part III")}


@pytest.mark.parametrize("query,first", [("godfater", "The Godfather"), ("toy stroy", "Toy Story"), ("godzila", "Godzilla")])
def test_the_difflib_fallback_finds_near_matches(titles, query, first):
    """The comparison SQLite uses (here over the same rows), ranked by similarity then popularity."""
    matches = search.matching(active_titles(), query, trigram=False)
    names = list(matches.annotate(n=Count("ratings")).order_by("-search_rank", "-n", "name").values_list("name", flat=True))
    assert names[0] == first
    assert "Heat" not in names


def test_near_matches_need_every_word_close(titles):
    assert set(search.near_matches(active_titles(), "toy stroy")) == {titles["Toy Story"].pk}
    assert search.near_matches(active_titles(), "toy zebra") == {}


def test_postgresql_has_the_trigram_index(db):
    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_title_name_trgm'")
        (definition,) = cursor.fetchone()
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None
    assert "gin" in definition and "gin_trgm_ops" in definition
