"""The recommendation endpoint's database work is bounded: no query per recommended title (the load
bench, bench/bench_load.py, measures its cost against the trivial endpoint's), a kept answer costs
only the token lookup, and the rules it serves by still hold: dismissed and deactivated titles never
come back, a fresh rating counts at once, and every item's explanation names a liked title."""
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import summaries
from catalog.curation import set_titles_active
from catalog.models import Title
from ratings.services import dismiss_title, rate_title
from streamrec.cache import CATALOG

from .conftest import give_romance_taste, recommendations_for

URL = "/api/v1/me/recommendations/"


def _queries(client, n) -> tuple[list[dict], list[str], list[str]]:
    """The items for ``n``, and the SQL of a request that misses the cache (kept answers and the
    candidate list dropped, as when the catalog revision is evicted) and of the next one (a hit)."""
    client.get(URL, {"n": n})  # loads the model and keeps the serving version
    cache.delete(CATALOG)
    runs = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            items = client.get(URL, {"n": n}).json()
        runs.append([query["sql"] for query in queries])
    return items, *runs


def _tables(sql: list[str]) -> list[str]:
    """The main table each query reads, in order."""
    return [query.split(" FROM ", 1)[1].split()[0].strip('"') for query in sql]


def test_queries_do_not_grow_with_the_number_of_recommendations(token_client, user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    few, few_miss, few_hit = _queries(token_client, 3)
    many, many_miss, many_hit = _queries(token_client, 10)
    assert len(few) == 3 and len(many) == 10 and all(item["personalized"] and item["because"] for item in many)
    # A miss: the token's user (one query, from auth_user joined to the token); the user's ratings
    # and dismissals (one query, a UNION ALL); the active titles (candidates); the recommended and
    # explaining titles with their genres (one query). The serving version and the model are kept.
    expected = ["auth_user", "ratings_rating", "catalog_title", "catalog_title"]
    assert _tables(few_miss) == _tables(many_miss) == expected, many_miss
    # A hit: the token lookup, nothing else.
    assert _tables(few_hit) == _tables(many_hit) == ["auth_user"], many_hit


def test_a_new_rating_reads_the_history_again_but_not_the_candidates(token_client, user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    shown = token_client.get(URL, {"n": 5}).json()
    rate_title(user=user, title=Title.objects.get(pk=shown[0]["title"]["id"]), score=4.5)
    with CaptureQueriesContext(connection) as queries:
        items = token_client.get(URL, {"n": 5}).json()
    # the user's revision moved, the catalog's did not: the candidate list is still kept
    assert _tables([q["sql"] for q in queries]) == ["auth_user", "ratings_rating", "catalog_title"]
    assert shown[0]["title"]["id"] not in {item["title"]["id"] for item in items}


def test_deactivated_dismissed_and_freshly_rated_titles_are_left_out(token_client, user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    first = [item["title"]["id"] for item in token_client.get("/api/v1/me/recommendations/", {"n": 5}).json()]
    deactivated, dismissed, rated = first[:3]
    set_titles_active([deactivated], False)
    dismiss_title(user=user, title=Title.objects.get(pk=dismissed))
    rate_title(user=user, title=Title.objects.get(pk=rated), score=4.0)
    items = token_client.get("/api/v1/me/recommendations/", {"n": 5}).json()
    ids = [item["title"]["id"] for item in items]
    assert len(ids) == 5 and not {deactivated, dismissed, rated} & set(ids)
    assert set(first[3:5]) <= set(ids)  # the rest of the first list stays
    liked = {t.pk for t in taste_catalog["romance"][:3]} | {rated}
    assert all(item["because"]["title"]["id"] in liked for item in items)


def test_the_hand_built_answer_matches_the_documented_serializer(token_client, user, taste_catalog):
    from recommender.api import RecommendationSerializer
    
    popular = token_client.get("/api/v1/me/recommendations/", {"n": 4}).json()
    assert popular == RecommendationSerializer(recommendations_for(user, n=4), many=True).data
    assert not any(item["personalized"] for item in popular)
    give_romance_taste(user, taste_catalog)
    personal = token_client.get("/api/v1/me/recommendations/", {"n": 6}).json()
    assert personal == RecommendationSerializer(recommendations_for(user, n=6), many=True).data
    assert all(item["personalized"] and item["because"]["title"]["genres"] == ["Romance"] for item in personal)


def test_title_summaries_read_titles_and_sorted_genre_names_in_one_query(taste_catalog, django_assert_num_queries):
    from catalog.models import Genre

    first, second, hidden = taste_catalog["action"][:3]
    first.genres.add(Genre.objects.create(name="Adventure"))
    type(hidden).objects.filter(pk=hidden.pk).update(is_active=False)
    with django_assert_num_queries(1):  # titles joined with their genres; inactive and unknown ids left out
        active = summaries.title_summaries([first.pk, second.pk, hidden.pk, 10**9, first.pk])
        names = {pk: (title.name, title.year, title.kind, title.is_active, title.genre_names) for pk, title in active.items()}
    assert names == {
        first.pk: (first.name, first.year, first.kind, True, ["Action", "Adventure"]),
        second.pk: (second.name, second.year, second.kind, True, ["Action"]),
    }
    with django_assert_num_queries(1):
        everything = summaries.title_summaries([hidden.pk, 10**9], active_only=False)
    assert set(everything) == {hidden.pk} and not everything[hidden.pk].is_active
    with django_assert_num_queries(0):
        assert summaries.title_summaries([]) == {}


def test_a_title_without_genres_has_none(db, django_assert_num_queries):
    bare = Title.objects.create(name="No genres", year=2001)
    with django_assert_num_queries(1):
        assert summaries.title_summaries([bare.pk])[bare.pk].genre_names == []


def test_nothing_is_kept_so_changes_made_elsewhere_show_at_once(taste_catalog, django_assert_num_queries):
    title, other = taste_catalog["action"][:2]
    summaries.title_summaries([title.pk, other.pk])
    with django_assert_num_queries(1):  # read again: no copy kept in the process
        assert set(summaries.title_summaries([title.pk, other.pk])) == {title.pk, other.pk}
    # Another process hides one title and renames the other: plain UPDATEs this process never hears of.
    type(title).objects.filter(pk=title.pk).update(is_active=False)
    type(title).objects.filter(pk=other.pk).update(name="Renamed elsewhere")
    read = summaries.title_summaries([title.pk, other.pk])
    assert set(read) == {other.pk} and read[other.pk].name == "Renamed elsewhere"


def test_changes_in_this_process_show_at_once(taste_catalog):
    from catalog.models import Genre

    title, other = taste_catalog["action"][:2]
    summaries.title_summaries([title.pk, other.pk])
    title.name = "Renamed here"
    title.save()
    other.genres.add(Genre.objects.create(name="Thriller"))
    set_titles_active([title.pk], False)
    assert set(summaries.title_summaries([title.pk, other.pk])) == {other.pk}
    assert summaries.title_summaries([other.pk])[other.pk].genre_names == ["Action", "Thriller"]
    set_titles_active([title.pk], True)
    assert summaries.title_summaries([title.pk])[title.pk].name == "Renamed here"
