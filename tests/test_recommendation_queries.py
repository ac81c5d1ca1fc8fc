"""The recommendation endpoint's database work is bounded: no query per recommended title (the load
bench, bench/bench_load.py, measures its cost against the trivial endpoint's), and the
rules it serves by still hold: dismissed and deactivated titles never come back, a fresh rating counts
at once, and every item's explanation names a liked title."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import summaries
from catalog.services import set_titles_active
from ratings.models import Dismissal, Rating
from streamrec import revisions

from .conftest import give_romance_taste


def _queries(client, n) -> tuple[list[dict], int, int]:
    """The items for ``n``, and the queries of a request with no title summaries kept and of the next."""
    client.get("/api/v1/me/recommendations/", {"n": n})  # the model is loaded by the first request
    summaries.forget_title_summaries()
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            items = client.get("/api/v1/me/recommendations/", {"n": n}).json()
        counts.append(len(queries))
    return items, *counts


def test_queries_do_not_grow_with_the_number_of_recommendations(token_client, user, taste_catalog, monkeypatch):
    from recommender import serving

    monkeypatch.setattr(serving, "VERSION_RECHECK_SECONDS", 600.0)  # however slow the machine
    monkeypatch.setattr(summaries, "INACTIVE_RECHECK_SECONDS", 600.0)
    monkeypatch.setattr(revisions, "RECHECK_SECONDS", 600.0)
    give_romance_taste(user, taste_catalog)
    few, few_cold, few_warm = _queries(token_client, 3)
    many, many_cold, many_warm = _queries(token_client, 10)
    assert len(few) == 3 and len(many) == 10 and all(item["personalized"] and item["because"] for item in many)
    # the user's ratings, dismissals and kept ranking; with no summaries kept, also which titles are
    # inactive and the titles with their genres (the first request read the token's user and the
    # serving version, and computed and kept the ranking)
    assert few_cold == many_cold == 3
    assert few_warm == many_warm == 1


def test_deactivated_dismissed_and_freshly_rated_titles_are_left_out(token_client, user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    first = [item["title"]["id"] for item in token_client.get("/api/v1/me/recommendations/", {"n": 5}).json()]
    deactivated, dismissed, rated = first[:3]
    set_titles_active([deactivated], False)
    Dismissal.objects.create(user=user, title_id=dismissed)
    Rating.objects.create(user=user, title_id=rated, score=4.0)
    items = token_client.get("/api/v1/me/recommendations/", {"n": 5}).json()
    ids = [item["title"]["id"] for item in items]
    assert len(ids) == 5 and not {deactivated, dismissed, rated} & set(ids)
    assert ids[:2] == first[3:5]
    liked = {t.pk for t in taste_catalog["romance"][:3]} | {rated}
    assert all(item["because"]["title"]["id"] in liked for item in items)


def test_the_hand_built_answer_matches_the_documented_serializer(token_client, user, taste_catalog):
    from recommender.api import RecommendationSerializer
    from recommender.selectors import recommend_for_user

    popular = token_client.get("/api/v1/me/recommendations/", {"n": 4}).json()
    assert popular == RecommendationSerializer(recommend_for_user(user, n=4), many=True).data
    assert not any(item["personalized"] for item in popular)
    give_romance_taste(user, taste_catalog)
    personal = token_client.get("/api/v1/me/recommendations/", {"n": 6}).json()
    assert personal == RecommendationSerializer(recommend_for_user(user, n=6), many=True).data
    assert all(item["personalized"] and item["because"]["title"]["genres"] == ["Romance"] for item in personal)


def test_title_summaries_read_titles_and_sorted_genre_names_in_one_query(taste_catalog, django_assert_num_queries):
    from catalog.models import Genre

    first, second, hidden = taste_catalog["action"][:3]
    first.genres.add(Genre.objects.create(name="Adventure"))
    type(hidden).objects.filter(pk=hidden.pk).update(is_active=False)
    summaries.forget_title_summaries()
    with django_assert_num_queries(1):
        assert summaries.read_title_summaries([first.pk])[first.pk].genre_names == ["Action", "Adventure"]
    with django_assert_num_queries(3):  # the revisions; which titles are inactive; the summaries
        active = summaries.title_summaries([first.pk, second.pk, hidden.pk, 10**9])
        names = {pk: (title.name, title.year, title.kind, title.genre_names) for pk, title in active.items()}
    assert names == {
        first.pk: (first.name, first.year, first.kind, ["Action", "Adventure"]),
        second.pk: (second.name, second.year, second.kind, ["Action"]),
    }
    assert set(summaries.title_summaries([hidden.pk], active_only=False)) == {hidden.pk}
    assert summaries.title_summaries([]) == {}


def test_summaries_are_kept_and_changes_elsewhere_show_within_their_intervals(taste_catalog, django_assert_num_queries, fake_clock):
    clock = fake_clock
    title, other = taste_catalog["action"][:2]
    summaries.title_summaries([title.pk, other.pk])
    with django_assert_num_queries(0):
        assert set(summaries.title_summaries([title.pk, other.pk])) == {title.pk, other.pk}
    # Another process hides one title and renames the other: plain UPDATEs this process never hears of.
    type(title).objects.filter(pk=title.pk).update(is_active=False)
    type(title).objects.filter(pk=other.pk).update(name="Renamed elsewhere")
    clock.now += summaries.INACTIVE_RECHECK_SECONDS + 0.1
    kept = summaries.title_summaries([title.pk, other.pk])
    assert set(kept) == {other.pk} and kept[other.pk].name == other.name
    clock.now += summaries.SUMMARY_CACHE_SECONDS
    assert summaries.title_summaries([other.pk])[other.pk].name == "Renamed elsewhere"


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
