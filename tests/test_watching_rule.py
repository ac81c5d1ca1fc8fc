"""The rule of ``ratings.watching`` as viewings carry it: finishing is positive, an early stop not
resumed within a week is negative (marked by the scheduled task), anything else a mild positive;
and what the recommender's history reads from it."""
import datetime

import pytest
from django.utils import timezone

from ratings import watching
from ratings.models import Rating, Viewing
from ratings.watch_services import EventInput, mark_abandoned_viewings, record_events
from recommender.pipeline.history import HistoryLookup

from .api_fixtures import catalog  # noqa: F401

DAY = datetime.timedelta(days=1)


def watch(user, title, kind, position, duration=1000, at=None, cid=None):
    at = at or timezone.now()
    cid = cid or f"{title.pk}-{kind}-{position}-{at.timestamp()}"
    record_events(user=user, items=[EventInput(title.pk, kind, position, duration, cid, at)])
    return Viewing.objects.filter(user=user, title=title).first()


@pytest.mark.parametrize("position,finished", [(899, False), (900, True), (1000, True)])
def test_ninety_percent_is_finished(position, finished):
    assert watching.counts_as_finished("progress", position, 1000) is finished


def test_a_finish_event_is_finished_wherever_it_stops():
    assert watching.counts_as_finished("finish", 10, 1000)


def test_outcomes():
    now = timezone.now()
    assert watching.outcome(finished=True, position_seconds=0, duration_seconds=10, last_event_at=now - 30 * DAY, now=now) == watching.FINISHED
    assert watching.outcome(finished=False, position_seconds=199, duration_seconds=1000, last_event_at=now - 8 * DAY, now=now) == watching.ABANDONED
    assert watching.outcome(finished=False, position_seconds=199, duration_seconds=1000, last_event_at=now - 6 * DAY, now=now) == watching.WATCHING
    assert watching.outcome(finished=False, position_seconds=200, duration_seconds=1000, last_event_at=now - 30 * DAY, now=now) == watching.WATCHING


def test_finishing_counts_in_favour(user, catalog):
    viewing = watch(user, catalog["heat"], "finish", 1000)
    assert viewing.finished_at is not None and viewing.implicit_score == watching.SCORES[watching.FINISHED]


def test_the_task_marks_an_early_stop_not_resumed_within_a_week(user, catalog):
    viewing = watch(user, catalog["heat"], "progress", 100, at=timezone.now() - 8 * DAY)
    # Recorded late (the device was offline): the week has passed already, so it is abandoned at once.
    assert viewing.abandoned_at is not None
    fresh = watch(user, catalog["up"], "progress", 100, at=timezone.now() - 2 * DAY)
    assert fresh.abandoned_at is None and fresh.implicit_score == watching.SCORES[watching.WATCHING]
    assert mark_abandoned_viewings(now=timezone.now() + 4 * DAY) == 0  # six days: not yet
    assert mark_abandoned_viewings(now=timezone.now() + 6 * DAY) == 1
    fresh.refresh_from_db()
    assert fresh.abandoned_at is not None and fresh.implicit_score == watching.SCORES[watching.ABANDONED]


def test_resuming_keeps_it_from_being_abandoned(user, catalog):
    start = timezone.now() - 6 * DAY
    watch(user, catalog["heat"], "progress", 100, at=start)
    watch(user, catalog["heat"], "progress", 300, at=start + 3 * DAY)
    assert mark_abandoned_viewings(now=start + 9 * DAY) == 0


def test_history_reads_viewings_as_stars_and_a_rating_wins(user, catalog):
    watch(user, catalog["heat"], "finish", 1000)
    watch(user, catalog["up"], "start", 0)
    watch(user, catalog["clue"], "finish", 1000)
    Rating.objects.create(user=user, title=catalog["clue"], score=2.0)
    history = HistoryLookup()(user_id=user.pk)
    assert history.ratings == {catalog["heat"].pk: 4.0, catalog["up"].pk: 3.0, catalog["clue"].pk: 2.0}
    assert history.watched == {catalog["heat"].pk, catalog["up"].pk}
    assert history.rating_count == 3  # watching counts towards personal recommendations
