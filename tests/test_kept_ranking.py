"""A user's ranking is kept in the database (``KeptRanking``) and served to any process while it was
computed by the serving version from exactly the user's current ratings; anything else computes it
again. The ratings are read on every request, so a kept ranking is never stale."""
import logging

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from ratings.models import Dismissal, Rating
from recommender import selectors, serving
from recommender.models import KeptRanking
from recommender.selectors import KeptList, personal_inputs, recommend_for_user

from .conftest import give_romance_taste

URL = "/api/v1/me/recommendations/"


@pytest.fixture
def personal(user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    return user


@pytest.fixture
def scoring_calls(monkeypatch) -> list[int]:
    """How many times the serving model ranked all titles (the work a kept ranking spares)."""
    calls = []
    top_n = serving.LoadedModel.top_n

    def counted(self, *args, **kwargs):
        calls.append(1)
        return top_n(self, *args, **kwargs)

    monkeypatch.setattr(serving.LoadedModel, "top_n", counted)
    return calls


def ids(response) -> list[int]:
    assert response.status_code == 200
    return [item["title"]["id"] for item in response.json()]


def test_the_first_request_keeps_the_ranking_and_the_next_serves_it_in_one_query(token_client, personal, scoring_calls):
    first = token_client.get(URL).json()
    assert len(scoring_calls) == 1 and KeptRanking.objects.filter(user=personal).exists()
    # Another process: nothing of this one's memory, only the database.
    serving.forget()
    token_client.get("/api/v1/ping/")
    with CaptureQueriesContext(connection) as queries:
        again = token_client.get(URL).json()
    assert again == first and len(scoring_calls) == 1
    reads = [q for q in queries if "ratings_rating" in q["sql"]]
    assert len(reads) == 1 and "recommender_keptranking" in reads[0]["sql"]


def test_a_new_rating_computes_the_ranking_again(token_client, personal, taste_catalog, scoring_calls):
    first = ids(token_client.get(URL))
    Rating.objects.create(user=personal, title_id=first[0], score=4.5)
    second = ids(token_client.get(URL))
    assert len(scoring_calls) == 2 and first[0] not in second
    kept = KeptList.unpack(bytes(KeptRanking.objects.get(user=personal).ranking))
    assert kept.fingerprint == personal_inputs(personal).fingerprint
    changed = Rating.objects.get(user=personal, title_id=first[0])
    changed.score = 1.0
    changed.save()
    ids(token_client.get(URL))
    assert len(scoring_calls) == 3  # a changed score is a different fingerprint too


def test_a_dismissal_is_applied_to_the_kept_ranking_at_once(token_client, personal, scoring_calls):
    first = ids(token_client.get(URL))
    Dismissal.objects.create(user=personal, title_id=first[0])
    second = ids(token_client.get(URL))
    assert first[0] not in second and second[:5] == first[1:6]
    assert len(scoring_calls) == 1  # the kept ranking has spare titles


def test_a_new_serving_version_computes_the_ranking_again(token_client, personal, scoring_calls):
    from recommender.services import activate_version
    from recommender.training import train_model_version

    token_client.get(URL)
    version = activate_version(train_model_version().version)
    token_client.get(URL)
    assert len(scoring_calls) == 2
    assert KeptList.unpack(bytes(KeptRanking.objects.get(user=personal).ranking)).version_id == version.pk


def test_asking_for_more_than_is_kept_computes_a_longer_ranking(token_client, personal, scoring_calls):
    token_client.get(URL)
    kept = KeptList.unpack(bytes(KeptRanking.objects.get(user=personal).ranking)).count
    assert kept == selectors.KEPT_RANKING_SIZE
    longer = ids(token_client.get(URL, {"n": kept}))
    assert len(scoring_calls) == 2 and KeptList.unpack(bytes(KeptRanking.objects.get(user=personal).ranking)).count == kept + 20
    assert ids(token_client.get(URL, {"n": kept})) == longer and len(scoring_calls) == 2


def test_filtered_lists_are_not_kept(token_client, personal, scoring_calls):
    token_client.get(URL, {"genre": "Romance"})
    token_client.get(URL, {"genre": "Romance"})
    assert len(scoring_calls) == 2 and not KeptRanking.objects.exists()


def test_each_user_is_served_their_own_kept_ranking_only(token_client, personal, other_user, taste_catalog):
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=other_user, title=title, score=5.0)
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=other_user, title=title, score=0.5)
    mine = recommend_for_user(personal)
    theirs = recommend_for_user(other_user)
    assert KeptRanking.objects.count() == 2
    assert {r.because.title.genre_names[0] for r in mine if r.because} == {"Romance"}
    assert {r.because.title.genre_names[0] for r in theirs if r.because} == {"Action"}
    assert personal_inputs(personal).kept != personal_inputs(other_user).kept


def test_a_ranking_that_cannot_be_kept_is_still_served(token_client, personal, monkeypatch, caplog):
    def failing(*args, **kwargs):
        raise DatabaseError("read-only replica")

    # The write fails inside the service (the test runs in a transaction, as a request may: the
    # service's savepoint keeps it usable).
    monkeypatch.setattr("recommender.services.prepared_cursor", failing)
    with caplog.at_level(logging.WARNING, logger="recommender.services"):
        served = ids(token_client.get(URL))
    assert len(served) == 10 and not KeptRanking.objects.exists()  # the next query works
    assert "could not keep the ranking" in caplog.text


def test_the_packed_ranking_round_trips():
    kept = KeptList(7, b"f" * 16, 40, [(3, 4.25), (9, 3.5), (1, 2.0)], {3: 11, 1: 12})
    assert KeptList.unpack(kept.pack()) == kept
    assert KeptList.unpack(KeptList(1, b"\0" * 16, 40, [], {}).pack()).ranked == []



def test_bytes_that_are_not_a_ranking_are_computed_again(token_client, personal, scoring_calls):
    first = ids(token_client.get(URL))
    KeptRanking.objects.filter(user=personal).update(ranking=b"not a ranking", answer=b"")
    assert ids(token_client.get(URL)) == first and len(scoring_calls) == 2
    assert KeptList.unpack(bytes(KeptRanking.objects.get(user=personal).ranking)).count == selectors.KEPT_RANKING_SIZE
