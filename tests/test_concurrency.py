"""Concurrent writes through real database connections (PostgreSQL)."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

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
