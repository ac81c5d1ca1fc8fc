"""The weekly digest, "New on your services for you": each subscriber's recommendations among the
titles new since last week, mailed in batches from Celery tasks (``recommender.tasks``).

A run (``DigestRun``) lists the subscribers and queues one task per batch. Before mailing anyone,
a batch claims their ``DigestDelivery`` of the week (one per user and week, a unique constraint),
so a second run in the same week, or two at once, mails nobody twice. A claim is committed before
the mail goes: a worker that dies mid-send leaves it "sending", never sent again (at most once).
A transient SMTP failure puts the claim back as "failed", and the batch task retries those users.
"""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from catalog.my_services import services_of
from catalog.selectors import TitleFilters
from streamrec.mail import SEND_ERRORS, Undeliverable, deliver, message, open_connection, site_url, unsubscribe_url
from streamrec.outbox import enqueue
from streamrec.selectors import digest_subscribers

from .models import DigestDelivery, DigestRun
from .pipeline import Recommendation, RecommendationRequest, recommend

logger = logging.getLogger(__name__)

DIGEST_TITLES = 6
BATCH_SIZE = 200


def week_of(moment: datetime) -> date:
    """The Monday of ``moment``'s week, in the site's time zone: the digest's key."""
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


def new_for_you(user, *, since: date, n: int = DIGEST_TITLES) -> list[Recommendation]:
    """The digest's content: ``user``'s list from the recommendation pipeline, among the titles new
    since ``since``: added to one of their streaming services (``catalog.my_services``; whatever the
    site's switch to everything says, the digest is about their services), or, for a person who
    chose none, to any platform or to the catalog. The one place that chooses what a digest holds."""
    new = TitleFilters(platforms=services_of(user).slugs, added_since=since)
    return recommend(RecommendationRequest(user_id=user.pk, n=n, filters=new))


def start_run(now: datetime | None = None) -> DigestRun:
    """Create this week's run and queue its batches (users already mailed this week are counted
    as skipped and not queued)."""
    week = week_of(now or timezone.now())
    subscribers = list(digest_subscribers().order_by("pk").values_list("pk", flat=True))
    settled = set(DigestDelivery.objects.filter(week=week, user_id__in=subscribers).exclude(status=DigestDelivery.Status.FAILED)
                  .values_list("user_id", flat=True))
    pending = [user_id for user_id in subscribers if user_id not in settled]
    batches = [pending[start:start + BATCH_SIZE] for start in range(0, len(pending), BATCH_SIZE)]
    run = DigestRun.objects.create(week=week, subscribers=len(subscribers), skipped=len(settled), batches=len(batches))
    finish_if_done(run.pk)
    for batch in batches:
        transaction.on_commit(lambda batch=batch: enqueue("recommender.tasks.send_digest_batch", run.pk, batch))
    return run


@dataclass
class BatchOutcome:
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    failed: int = 0
    retry: list[int] = field(default_factory=list)  # users to try again: a transient SMTP failure


def claim(run: DigestRun, user_id: int) -> bool:
    """Take ``user_id``'s delivery of the run's week for this batch: False when it is someone
    else's or settled (sent, nothing new, refused)."""
    try:
        with transaction.atomic():
            DigestDelivery.objects.create(run=run, user_id=user_id, week=run.week)
        return True
    except IntegrityError:
        return bool(DigestDelivery.objects.filter(user_id=user_id, week=run.week, status=DigestDelivery.Status.FAILED)
                    .update(status=DigestDelivery.Status.SENDING, run=run, attempts=F("attempts") + 1))


def settle(run: DigestRun, user_id: int, status: str, titles: int = 0, error: str = "") -> None:
    DigestDelivery.objects.filter(user_id=user_id, week=run.week).update(status=status, titles=titles, error=error[:1000])


def digest_message(user, picks: list[Recommendation], connection):
    link = unsubscribe_url(user.pk)
    items = [{"name": str(pick.title), "genres": ", ".join(pick.title.genre_names), "stars": pick.predicted_rating,
              "personal": pick.personalized, "why": pick.explanation, "url": site_url(pick.title.get_absolute_url())} for pick in picks]
    return message(
        "weekly_digest", {"user": user, "items": items, "unsubscribe_url": link}, user.email,
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        connection=connection,
    )


def send_batch(run_id: int, user_ids: list[int]) -> BatchOutcome:
    """Mail the digest to ``user_ids`` over one SMTP connection; counts are added to the run."""
    run = DigestRun.objects.get(pk=run_id)
    since = run.week - timedelta(days=7)
    outcome = BatchOutcome()
    # Subscribers who left, changed their address or were mailed meanwhile are skipped.
    users = {user.pk: user for user in digest_subscribers().filter(pk__in=user_ids)}
    try:
        connection = open_connection()
    except SEND_ERRORS:
        outcome.retry = list(user_ids)
        return outcome
    try:
        for position, user_id in enumerate(user_ids):
            user = users.get(user_id)
            if user is None or not claim(run, user_id):
                outcome.skipped += 1
                continue
            try:
                picks = new_for_you(user, since=since)
                mail = digest_message(user, picks, connection) if picks else None
            except Exception as error:  # noqa: BLE001 - one user's digest that cannot be made stops no one else's
                logger.exception("the digest of user %s could not be made", user_id)
                settle(run, user_id, DigestDelivery.Status.FAILED, error=repr(error))
                outcome.failed += 1
                continue
            if mail is None:
                settle(run, user_id, DigestDelivery.Status.EMPTY)
                outcome.empty += 1
                continue
            try:
                deliver(mail)
            except Undeliverable as refusal:
                settle(run, user_id, DigestDelivery.Status.REFUSED, error=str(refusal))
                outcome.failed += 1
            except SEND_ERRORS as error:
                # The connection is in doubt: this user and the rest of the batch go to the retry.
                settle(run, user_id, DigestDelivery.Status.FAILED, error=repr(error))
                outcome.retry = list(user_ids[position:])
                break
            else:
                settle(run, user_id, DigestDelivery.Status.SENT, titles=len(picks))
                outcome.sent += 1
    finally:
        try:
            connection.close()
        except SEND_ERRORS:
            pass  # the server already hung up
    record(run_id, outcome)
    return outcome


def record(run_id: int, outcome: BatchOutcome) -> None:
    DigestRun.objects.filter(pk=run_id).update(
        sent=F("sent") + outcome.sent, empty=F("empty") + outcome.empty, skipped=F("skipped") + outcome.skipped,
        failed=F("failed") + outcome.failed,
    )
    finish_if_done(run_id)


def give_up(run_id: int, user_ids: list[int]) -> None:
    """After the last retry: these users' digests of the week failed (a later run may try again)."""
    record(run_id, BatchOutcome(failed=len(user_ids)))


def finish_if_done(run_id: int) -> None:
    DigestRun.objects.filter(pk=run_id, finished_at__isnull=True, subscribers__lte=F("sent") + F("empty") + F("skipped") + F("failed")
                             ).update(finished_at=timezone.now())

