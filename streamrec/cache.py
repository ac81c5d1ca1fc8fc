"""The one cache layer: everything the site keeps between requests, on Django's cache framework.

The "default" cache is Redis in production (``STREAMREC_CACHE_URL``, Django's ``RedisCache``) and
the database otherwise (``streamrec.models.CacheEntry``), so every process sees every
invalidation. Nothing here is the truth: an entry is derived from the database and recomputed
whenever it is missing, evicted, unreadable or the cache is unreachable (``shared`` treats every
cache error as a miss, and a failed write as nothing kept).

Answers are never deleted to invalidate them. Each key carries everything its answer depends on,
so a write moves a revision and the next read builds a new key:

| key | what | invalidated by |
|---|---|---|
| ``rev:catalog`` | catalog revision (a random token) | ``catalog_changed()`` after the commit of: a title saved or deleted, genres of a title changed, a genre saved or deleted, ``set_titles_active``, the end of an import run (bulk writes send no signals) |
| ``rev:user:<id>`` | the user's revision | ``user_changed(id)`` after the commit of the rating, dismissal, watchlist, CSV import, sync and account services, and of a title merge that moved their rows (``catalog.pipeline.merge``) |
| ``serving-version`` | pk of the serving model version | ``serving_version_changed(pk)`` after an activation commits; expires after ``SERVING_VERSION_SECONDS``, so a version activated by any other path serves within that |
| ``recs:<format>:<version>:<user rev>:<catalog rev>:<config digest>`` | a recommendation list (``recommender.pipeline``) | a new key when any part moves; expires after ``PERSONAL_SECONDS`` (personal) or ``POPULAR_SECONDS`` (the popularity fallback, which other people's ratings reorder) |
| ``api:<format>:…`` (same parts) | the API's rendered JSON of that list | the same |
| ``matching-ids:<catalog rev>:<filters digest>`` | ids of the active titles matching filters (a numpy array) | the catalog revision |
| ``popular:<catalog rev>:<filters digest>`` | the damped-average ranking | the catalog revision; expires after ``POPULAR_SECONDS`` (new ratings reorder it) |
| ``ranked:<catalog rev>:<listing digest>`` | the ids of a listing sorted by rating stats | the catalog revision; expires after ``POPULAR_SECONDS`` |
| ``popular-now:<catalog rev>``, ``recent-window:<newest rating id>`` | "Popular now" | the catalog revision, the newest rating; ``POPULAR_SECONDS`` |
| ``throttle_<scope>_<ident>`` | DRF's throttle histories (``streamrec.throttles``) | DRF: each entry expires with its window |

A revision is a random token rather than a counter: a revision that is evicted comes back as a
new token, so what was keyed on the old one is never served again. Revisions move when the write
is made and again after it commits: a reader that read the database before the commit can only
have filled a key that no later reader builds.

One speed-up of the layer itself, measured in bench/README.md: ``RedisCache`` (the backend the
settings name) reuses one ``redis.Redis`` client per connection pool instead of building one for
every operation. It holds no data, so it has nothing to invalidate.
"""
import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends import redis as redis_backend
from django.db import transaction

logger = logging.getLogger(__name__)

CATALOG = "rev:catalog"
SERVING_VERSION = "serving-version"
# A version activated by a path that did not call ``serving_version_changed`` serves within this.
SERVING_VERSION_SECONDS = 60
# Recommendation lists: bounded so a cache never fills with lists nobody asks for again.
PERSONAL_SECONDS = 600
# Rankings that other people's ratings change without moving any revision.
POPULAR_SECONDS = 300
_MISSING = object()


def user_key(user_id: int) -> str:
    return f"rev:user:{user_id}"


class SharedCache:
    """Django's default cache, where an error of the cache (unreachable, or an entry that does not
    unpickle) is a miss on read and nothing kept on write: the caller computes from the database.
    Also the cache DRF's throttles count in (the part of the interface they use: ``get``, ``set``)."""

    @property
    def backend(self):
        return caches["default"]

    def get(self, key: str, default=None):
        try:
            return self.backend.get(key, default)
        except Exception:  # noqa: BLE001 - any failure of a cache read is a miss, never an error page
            logger.warning("cache read of %s failed", key, exc_info=True)
            return default

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        try:
            return self.backend.get_many(keys)
        except Exception:  # noqa: BLE001
            logger.warning("cache read of %s failed", keys, exc_info=True)
            return {}

    def set(self, key: str, value, timeout: float | None) -> None:
        try:
            self.backend.set(key, value, timeout)
        except Exception:  # noqa: BLE001
            logger.warning("cache write of %s failed", key, exc_info=True)

    def add(self, key: str, value, timeout: float | None) -> None:
        try:
            self.backend.add(key, value, timeout)
        except Exception:  # noqa: BLE001
            logger.warning("cache write of %s failed", key, exc_info=True)

    def delete(self, key: str) -> None:
        try:
            self.backend.delete(key)
        except Exception:  # noqa: BLE001
            logger.warning("cache delete of %s failed", key, exc_info=True)

    def get_or_set(self, key: str, compute: Callable[[], Any], timeout: float | None):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            self.set(key, value, timeout)
        return value


shared = SharedCache()


def new_token() -> str:
    return uuid.uuid4().hex[:16]


def revisions(*keys: str) -> dict[str, str]:
    """The current token of each revision key, in one cache round trip when all are present; a
    missing one (never set, or evicted) is created, so keys built from it are new."""
    found = shared.get_many(list(keys))
    for key in keys:
        if key not in found:
            shared.add(key, new_token(), None)
            found[key] = shared.get(key) or new_token()  # unreachable cache: nothing will match
    return found


def _move(key: str) -> None:
    shared.set(key, new_token(), None)


def _move_now_and_after_commit(key: str) -> None:
    """Now, so the writer's own next read (even inside its transaction) builds a new key; and again
    after the commit, so a key filled meanwhile by a reader who could not yet see the write is
    never built again."""
    _move(key)
    transaction.on_commit(lambda: _move(key), robust=True)


def catalog_changed() -> None:
    """Titles changed: every answer that shows titles is made again once the change commits."""
    _move_now_and_after_commit(CATALOG)


def user_changed(user_id: int) -> None:
    """A user's ratings, dismissals, watchlist or settings changed: their answers are made again."""
    _move_now_and_after_commit(user_key(user_id))


def serving_version_changed(version_id: int) -> None:
    """Forgotten now (the next read asks the database, which this transaction already shows the
    writer), and set once the activation commits (a rolled-back one never serves)."""
    shared.delete(SERVING_VERSION)
    transaction.on_commit(lambda: shared.set(SERVING_VERSION, version_id, SERVING_VERSION_SECONDS), robust=True)


def serving_version_id(read: Callable[[], int | None], found=_MISSING) -> int | None:
    """The serving version's pk: ``found`` when the caller already read the key (``stamps``), else
    from the cache, else ``read()`` from the database and kept."""
    if found is _MISSING:
        found = shared.get(SERVING_VERSION, _MISSING)
    if found is _MISSING:
        found = read()
        # add, not set: an activation that committed meanwhile has already set the newer pk
        shared.add(SERVING_VERSION, found, SERVING_VERSION_SECONDS)
    return found


def stamps(*revision_keys: str):
    """The serving version's cache entry (or ``MISSING``) and the tokens of ``revision_keys``, in one
    round trip when all are present: what a kept answer's key is made of."""
    found = shared.get_many([SERVING_VERSION, *revision_keys])
    tokens = {key: found[key] for key in revision_keys if key in found}
    if len(tokens) < len(revision_keys):
        tokens.update(revisions(*[key for key in revision_keys if key not in tokens]))
    return found.get(SERVING_VERSION, _MISSING), tokens


MISSING = _MISSING


def digest(*parts) -> str:
    """A short digest of ``parts`` (their reprs): the configuration part of a key."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


class _ReusedRedisClient(redis_backend.RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` object for every operation (the pool is shared,
    the object is not); a recommendation request makes four, and building them was 0.35 ms of its
    2.5 (bench/README.md, "Notes on the load figures"). ``redis.Redis`` is safe to share between
    threads, so one per pool is kept. Nothing to invalidate: it holds no data, only the pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reused = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._reused.get(id(pool))
        if client is None:
            client = self._reused[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis_backend.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with its client objects reused."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusedRedisClient
