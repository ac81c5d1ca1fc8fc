"""The recommendation endpoint's database work is bounded: no query per recommended title (the load
bench, bench/bench_load.py, holds its cost to at most twice the trivial endpoint's), and the
rules it serves by still hold: dismissed and deactivated titles never come back, a fresh rating counts
at once, and every item's explanation names a liked title."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratings.models import Dismissal, Rating


def _personal_user(user, taste_catalog):
    from recommender.training import train_model_version

    train_model_version()
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)


def _queries(client, n):
    client.get("/api/v1/me/recommendations/", {"n": n})  # the model is loaded by the first request
    with CaptureQueriesContext(connection) as queries:
        items = client.get("/api/v1/me/recommendations/", {"n": n}).json()
    return items, len(queries)


def test_queries_do_not_grow_with_the_number_of_recommendations(token_client, user, taste_catalog):
    _personal_user(user, taste_catalog)
    few, few_queries = _queries(token_client, 3)
    many, many_queries = _queries(token_client, 10)
    assert len(few) == 3 and len(many) == 10 and all(item["personalized"] and item["because"] for item in many)
    # token, the user's ratings and dismissals, the serving version, titles, genres
    assert few_queries == many_queries <= 5


def test_deactivated_dismissed_and_freshly_rated_titles_are_left_out(token_client, user, taste_catalog):
    _personal_user(user, taste_catalog)
    first = [item["title"]["id"] for item in token_client.get("/api/v1/me/recommendations/", {"n": 5}).json()]
    deactivated, dismissed, rated = first[:3]
    type(taste_catalog["romance"][0]).objects.filter(pk=deactivated).update(is_active=False)
    Dismissal.objects.create(user=user, title_id=dismissed)
    Rating.objects.create(user=user, title_id=rated, score=4.0)
    items = token_client.get("/api/v1/me/recommendations/", {"n": 5}).json()
    ids = [item["title"]["id"] for item in items]
    assert len(ids) == 5 and not {deactivated, dismissed, rated} & set(ids)
    assert ids[:2] == first[3:5]
    liked = {t.pk for t in taste_catalog["romance"][:3]} | {rated}
    assert all(item["because"]["title"]["id"] in liked for item in items)
