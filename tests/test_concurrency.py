"""Concurrent writes through real database connections (PostgreSQL)."""
import datetime
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Title
from ratings.models import Rating
from ratings.services import rate_title

from .conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_concurrent_ratings_of_one_title_leave_one_row():
    user = make_user("racer")
    title = Title.objects.create(name="Rush", year=2013)
    scores = [0.5 * (1 + i % 10) for i in range(20)]

    def rate(score):
        try:
            return rate_title(user=user, title=title, score=score)[0].score
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(rate, scores))
    assert len(results) == 20
    assert Rating.objects.filter(user=user, title=title).count() == 1
    assert Rating.objects.get(user=user, title=title).score in scores


# The same race through HTTP requests (Django's full request stack, one database connection per
# thread): 20 requests rating one title for one user at the same moment.

CONCURRENT = 20


def at_once(calls):
    """Run ``calls`` in CONCURRENT threads released together; returns their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=30)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def racer_clients():
    user = make_user("racer")
    title = Title.objects.create(name="Rush", year=2013)
    page = Client()
    page.force_login(user)
    token = Token.objects.create(user=user).key
    return user, title, page, token


def test_twenty_concurrent_rating_requests_page_and_api_leave_one_row_and_no_5xx(racer_clients):
    user, title, page, token = racer_clients
    scores = [0.5 * (1 + i % 10) for i in range(CONCURRENT)]

    def by_page(score):
        def call():
            client = Client()
            client.cookies = page.cookies
            response = client.post(f"/ratings/{title.pk}/", {"score": str(score)}, HTTP_ACCEPT="application/json")
            return response.status_code, response.json()["created"]
        return call

    def by_api(score):
        def call():
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            response = client.post("/api/v1/me/ratings/", {"title": title.pk, "score": score}, format="json")
            return response.status_code, response.status_code == 201
        return call

    calls = [by_page(score) if i % 2 else by_api(score) for i, score in enumerate(scores)]
    results = at_once(calls)
    statuses = [status for status, _ in results]
    assert all(status in (200, 201) for status in statuses), statuses
    assert sum(created for _, created in results) == 1  # exactly one request created the row
    assert Rating.objects.filter(user=user, title=title).count() == 1
    assert Rating.objects.get(user=user, title=title).score in scores
    # The next write wins over all of them.
    assert page.post(f"/ratings/{title.pk}/", {"score": "2.5"}).status_code == 302
    assert Rating.objects.get(user=user, title=title).score == 2.5


def test_twenty_concurrent_offline_syncs_the_newest_change_wins(racer_clients):
    """Offline sync dates each change: whatever order the 20 requests arrive in, the newest change wins."""
    user, title, _, token = racer_clients
    start = timezone.now() - datetime.timedelta(hours=1)
    changes = [(start + datetime.timedelta(seconds=i), 0.5 * (1 + i % 10)) for i in range(CONCURRENT)]
    random.Random(7).shuffle(changes)

    def sync(changed_at, score):
        def call():
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            body = {"changes": [{"title": title.pk, "score": score, "changed_at": changed_at.isoformat()}]}
            response = client.post("/api/v1/me/ratings/sync/", body, format="json")
            return response.status_code, response.json()
        return call

    results = at_once([sync(changed_at, score) for changed_at, score in changes])
    assert all(status == 200 for status, _ in results), results
    assert sum(body["created"] for _, body in results) == 1
    newest_at, newest_score = max(changes)
    rating = Rating.objects.get(user=user, title=title)
    assert rating.score == newest_score
    # Dated by a change with that score (a change to the score the row already has is "unchanged").
    assert rating.updated_at in {at for at, score in changes if score == newest_score}
