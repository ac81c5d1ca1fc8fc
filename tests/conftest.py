"""Shared fixtures: a small catalog with two clear taste groups, users and clients."""
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Genre, Title
from ratings.models import Rating
from recommender import serving

from .served_site import set_up_site  # noqa: F401 (one `make run` set-up per session, shared by the tests that serve it)

User = get_user_model()
PASSWORD = "a-Str0ng-password!"


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    """Every test writes model artifacts to its own folder and starts with nothing loaded or cached."""
    settings.MODEL_DIR = tmp_path / "models"
    settings.STORAGES = {**settings.STORAGES, "models": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                         "OPTIONS": {"location": settings.MODEL_DIR}}}
    serving.forget()
    try:
        cache.clear()
    except RuntimeError:
        pass  # the database cache, in a test without database access: its table is empty anyway
    yield settings.MODEL_DIR
    serving.forget()


def make_user(username: str) -> User:
    return User.objects.create_user(username=username, password=PASSWORD)


@pytest.fixture
def user(db):
    return make_user("alice")


@pytest.fixture
def other_user(db):
    return make_user("bob")


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def taste_catalog(db):
    """30 titles, half Action and half Romance, rated by 40 users who love one genre and dislike the other.

    Returns ``{"action": [titles], "romance": [titles]}``.
    """
    return build_taste_catalog()


def build_taste_catalog(n_raters: int = 40, seed: int = 7) -> dict[str, list[Title]]:
    rng = np.random.default_rng(seed)
    action, romance = Genre.objects.create(name="Action"), Genre.objects.create(name="Romance")
    groups: dict[str, list[Title]] = {"action": [], "romance": []}
    for index in range(30):
        genre_key = "action" if index < 15 else "romance"
        title = Title.objects.create(name=f"{genre_key.title()} Story {index}", year=1990 + index, movielens_id=1000 + index)
        title.genres.add(action if genre_key == "action" else romance)
        groups[genre_key].append(title)
    ratings = []
    for rater_index in range(n_raters):
        rater = User.objects.create(username=f"rater{rater_index}")
        loves = "action" if rater_index % 2 == 0 else "romance"
        for genre_key, titles in groups.items():
            for title in titles:
                if rng.random() < 0.6:
                    base = 4.5 if genre_key == loves else 1.5
                    score = float(np.clip(np.round((base + rng.normal(0, 0.5)) * 2) / 2, 0.5, 5.0))
                    ratings.append(Rating(user=rater, title=title, score=score))
    Rating.objects.bulk_create(ratings)
    return groups


def give_romance_taste(user, taste_catalog) -> None:
    """Train a model on the taste catalog; ``user`` loves three romance titles and dislikes three
    action titles, so their recommendations are personal romance titles."""
    from recommender.training import train_model_version

    train_model_version()
    for title in taste_catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in taste_catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own (free port, no persistence): stop() and start() it at will."""
    from .processes import RedisServer

    server = RedisServer(tmp_path / "redis-server.log").start()
    try:
        yield server
    finally:
        server.stop()


def reset_broker_pools() -> None:
    """Forget pooled broker connections, so the next send connects to the broker configured now."""
    from kombu import pools

    from streamrec.celery import app as celery_app

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def sending_to_broker(private_redis, settings):
    """The site as configured in production: CELERY_BROKER_URL set (here: a private redis-server,
    returned), tasks sent to workers rather than run in-process."""
    from streamrec.celery import app as celery_app

    settings.CELERY_BROKER_URL = private_redis.url
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url, conf.task_always_eager = private_redis.url, False
    reset_broker_pools()
    yield private_redis
    conf.broker_url, conf.task_always_eager = saved
    reset_broker_pools()


@pytest.fixture
def start_worker(model_dir, tmp_path):
    """``start_worker(broker_url)`` starts a real Celery worker process (see tests/processes.py) on the
    test database; every worker started is stopped at the end. Needs a transactional db."""
    from .processes import WorkerProcess

    started = []

    def start(broker_url: str, queue: str | None = None, **extra_env) -> WorkerProcess:
        worker = WorkerProcess(broker_url, model_dir, tmp_path / f"worker-{len(started)}.log", extra_env, queue)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def recommendations_for(user, n: int = 10, filters=None):
    """``user``'s list as the site serves it: the pipeline through the cache."""
    from catalog.selectors import TitleFilters
    from recommender.pipeline import RecommendationRequest, recommend

    return recommend(RecommendationRequest(user_id=user.pk, n=n, filters=filters or TitleFilters()))
