"""The one cache layer (streamrec/cache.py) in front of the recommendation pipeline: a hit is
served, every write that changes an answer invalidates it, and an entry that cannot be read, a
revision that was evicted or an unreachable cache is recomputed from the database."""
import os

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.curation import set_titles_active
from catalog.models import Title
from catalog.selectors import TitleFilters
from ratings.models import Rating
from ratings.services import add_to_watchlist, dismiss_title, rate_title
from recommender import serving
from recommender.pipeline import RecommendationRequest, answer_key
from recommender.services import activate_version
from recommender.training import train_model_version
from streamrec.cache import CATALOG, SERVING_VERSION, RedisCache, shared, user_key

from .conftest import give_romance_taste

URL = "/api/v1/me/recommendations/"
MARKED = b'[{"marked": "served from the cache"}]'


@pytest.fixture
def personal(user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    return user


def mark(user, **query) -> str:
    """Replace the kept API answer of ``user`` for ``query`` with ``MARKED``; returns its key."""
    filters = TitleFilters(genre=query.get("genre", ""))
    key = answer_key("api", RecommendationRequest(user_id=user.pk, n=int(query.get("n", 10)), filters=filters), serving.current_model())
    assert shared.get(key) is not None, "the answer was kept"
    shared.set(key, MARKED, 60)
    return key


def test_a_kept_answer_is_served(token_client, personal):
    first = token_client.get(URL)
    assert first.status_code == 200 and first.json()[0]["personalized"]
    mark(personal)
    assert token_client.get(URL).content == MARKED


def test_a_hit_reads_nothing_but_the_token_from_the_database(token_client, personal):
    token_client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        assert token_client.get(URL).status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries]  # DRF's token lookup


def test_a_new_rating_makes_the_answer_again(token_client, personal, taste_catalog):
    token_client.get(URL)
    mark(personal)
    rate_title(user=personal, title=taste_catalog["romance"][5], score=4.5)
    body = token_client.get(URL)
    assert body.content != MARKED and taste_catalog["romance"][5].pk not in {item["title"]["id"] for item in body.json()}


def test_a_rating_through_the_api_makes_the_answer_again(token_client, personal, taste_catalog):
    token_client.get(URL)
    mark(personal)
    assert token_client.post("/api/v1/me/ratings/", {"title": taste_catalog["action"][9].pk, "score": 1.0}, format="json").status_code in (200, 201)
    assert token_client.get(URL).content != MARKED


def test_a_dismissal_makes_the_answer_again_without_the_title(token_client, personal):
    shown = token_client.get(URL).json()[0]["title"]["id"]
    mark(personal)
    dismiss_title(user=personal, title=Title.objects.get(pk=shown))
    assert shown not in {item["title"]["id"] for item in token_client.get(URL).json()}


def test_a_watchlist_change_makes_the_answer_again(token_client, personal, taste_catalog):
    token_client.get(URL)
    mark(personal)
    add_to_watchlist(user=personal, title=taste_catalog["romance"][10])
    assert token_client.get(URL).content != MARKED


def test_a_deactivated_title_leaves_every_answer(token_client, personal):
    shown = token_client.get(URL).json()[0]["title"]["id"]
    set_titles_active([shown], False)
    assert shown not in {item["title"]["id"] for item in token_client.get(URL).json()}


def test_a_renamed_title_shows_its_new_name(token_client, personal):
    first = token_client.get(URL).json()[0]["title"]
    title = Title.objects.get(pk=first["id"])
    title.name = "Renamed for the test"
    title.save()
    assert token_client.get(URL).json()[0]["title"]["name"] == "Renamed for the test"


def test_a_new_serving_version_makes_the_answer_again(token_client, personal):
    from recommender.models import ModelVersion

    token_client.get(URL)
    mark(personal)
    newer = train_model_version(params={"random_state": 1}).version
    # Only a new serving version matters here, whatever the activation gate (tests/test_training.py) says of it.
    ModelVersion.objects.filter(pk=newer.pk).update(status=ModelVersion.Status.READY)
    newer.refresh_from_db()
    activate_version(newer)
    assert token_client.get(URL).content != MARKED
    assert serving.current_model().version_id == newer.pk


def test_each_filter_has_its_own_entry(token_client, personal):
    token_client.get(URL)
    token_client.get(URL, {"genre": "Romance"})
    mark(personal)
    genre_answer = token_client.get(URL, {"genre": "Romance"})
    assert genre_answer.content != MARKED and all("Romance" in item["title"]["genres"] for item in genre_answer.json())


def test_each_user_is_served_their_own_answer(token_client, personal, other_user, taste_catalog):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    for title in taste_catalog["action"][:4]:
        Rating.objects.create(user=other_user, title=title, score=5.0)
    token_client.get(URL)
    mark(personal)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_user).key}")
    assert other.get(URL).content != MARKED


def test_an_unreadable_entry_is_computed_again(token_client, personal):
    expected = token_client.get(URL).content
    key = mark(personal)
    backend = cache._cache if hasattr(cache, "_cache") else None
    if backend is not None and hasattr(backend, "get_client"):  # Redis: bytes that do not unpickle
        backend.get_client(write=True).set(cache.make_and_validate_key(key), b"\x80\x05not a pickle")
    else:  # the database cache: a value that is not base64 of a pickle
        from streamrec.models import CacheEntry

        CacheEntry.objects.filter(cache_key=cache.make_and_validate_key(key)).update(value="not-a-pickle")
    assert token_client.get(URL).content == expected


def test_an_evicted_revision_makes_the_answer_again(token_client, personal):
    token_client.get(URL)
    mark(personal)
    cache.delete(user_key(personal.pk))
    assert token_client.get(URL).content != MARKED
    token_client.get(URL)
    mark(personal)
    cache.delete(CATALOG)
    assert token_client.get(URL).content != MARKED


def test_an_evicted_serving_version_is_read_from_the_database(token_client, personal):
    version = serving.current_model().version_id
    cache.delete(SERVING_VERSION)
    assert serving.current_model().version_id == version
    assert cache.get(SERVING_VERSION) == version


def test_an_unreachable_cache_still_answers_from_the_database(token_client, personal, settings):
    expected = token_client.get(URL).json()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": {"socket_connect_timeout": 0.2}}}
    assert token_client.get(URL).json() == expected
    assert token_client.get("/recommendations/").status_code in (200, 302)


def test_popular_answers_for_newcomers_are_kept_too(token_client, user, taste_catalog):
    train_model_version()
    first = token_client.get(URL).json()
    assert first and not first[0]["personalized"]
    mark(user)
    assert token_client.get(URL).content == MARKED


def test_the_personal_page_follows_a_rating_made_after_its_list_was_kept(logged_in_client, user, taste_catalog):
    give_romance_taste(user, taste_catalog)
    first = logged_in_client.get("/recommendations/").content.decode()
    shown = next(t for t in taste_catalog["romance"] if f'data-title-id="{t.pk}"' in first)
    rate_title(user=user, title=shown, score=5.0)
    assert f'data-title-id="{shown.pk}"' not in logged_in_client.get("/recommendations/").content.decode()


def test_the_redis_backend_reuses_one_client_and_still_reads_and_writes():
    backend = RedisCache(os.environ.get("STREAMREC_CACHE_URL", "redis://127.0.0.1:6379/14"), {"KEY_PREFIX": "client-reuse-test"})
    assert backend._cache.get_client() is backend._cache.get_client(write=True)
    backend.set("key", {"value": 1}, 30)
    assert backend.get("key") == {"value": 1}
    backend.delete("key")
    assert backend.get("key") is None
