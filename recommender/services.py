"""Writes to model versions and kept rankings."""
import logging
import time
from contextlib import nullcontext

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.dispatch import receiver
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from ratings.signals import ratings_changed
from streamrec.outbox import send
from streamrec.prepared import prepared_cursor

from .models import KeptRanking, ModelVersion

logger = logging.getLogger(__name__)


def activate_version(version: ModelVersion) -> ModelVersion:
    """Make ``version`` the serving one (also used to roll back to an older ready version)."""
    if version.status != ModelVersion.Status.READY:
        raise ValidationError(f"only a ready version can serve; v{version.pk} is {version.status}")
    from . import serving  # serving reads versions through this module

    version.activated_at = timezone.now()
    version.save(update_fields=["activated_at"])
    serving.recheck_version()
    return version


ARTIFACT_ERROR_PREFIX = "Artifact check failed"


def record_artifact_error(version: ModelVersion, message: str) -> None:
    """Note on ``version`` that its artifact is missing or corrupted, for staff to see; the version
    keeps its status (the file can be restored, or staff roll back to another version)."""
    text = f"{ARTIFACT_ERROR_PREFIX} {timezone.now():%Y-%m-%d %H:%M:%S %Z}: {message}"[:2000]
    ModelVersion.objects.filter(pk=version.pk).update(error=text)
    version.error = text


def clear_artifact_error(version: ModelVersion) -> None:
    """The artifact loads again (restored): drop the note left by ``record_artifact_error``."""
    if version.error.startswith(ARTIFACT_ERROR_PREFIX):
        ModelVersion.objects.filter(pk=version.pk, error__startswith=ARTIFACT_ERROR_PREFIX).update(error="")
        version.error = ""


def keep_ranking(user, ranking: bytes) -> None:
    """Keep ``user``'s ranking (``KeptRanking.ranking``) for their next request, replacing the last
    and the answer made from it (``KeptRanking.answer``).

    One upsert. Best effort: the ranking was just served, so a failed write is logged and only
    means it is computed again next time.
    """
    sql = (
        f"INSERT INTO {KeptRanking._meta.db_table} (user_id, ranking, answer) VALUES (%s, %s, %s) "
        "ON CONFLICT (user_id) DO UPDATE SET ranking = excluded.ranking, answer = excluded.answer"
    )
    _best_effort_write(sql, [user.pk, ranking, b""], f"the ranking of user {user.pk}")


def keep_answer(user, answer: bytes) -> None:
    """Keep ``user``'s default API answer (``KeptRanking.answer``) beside their kept ranking, which
    it was made from (none kept: nothing to do). Best effort, like ``keep_ranking``."""
    sql = f"UPDATE {KeptRanking._meta.db_table} SET answer = %s WHERE user_id = %s"
    _best_effort_write(sql, [answer, user.pk], f"the answer of user {user.pk}")


def _best_effort_write(sql: str, params: list, what: str) -> None:
    try:
        # Inside a transaction a failed statement would abort it: isolate the write in a savepoint.
        with transaction.atomic() if connection.in_atomic_block else nullcontext(), prepared_cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        logger.warning("could not keep %s", what, exc_info=True)


PREPARE_ANSWER_TASK = "recommender.tasks.prepare_answer"
# A task still waiting after this long is dropped: by then the user's next request has made the
# answer itself, or their ratings changed again and a newer task is on its way.
PREPARE_ANSWER_EXPIRES_SECONDS = 60
# After the broker failed to take one, these tasks are not sent for this long: a dead or hung
# broker must not add its timeouts to every rating.
BROKER_RETRY_SECONDS = 30.0
_send_again_at = 0.0  # monotonic time; this process's memory of a failure only


@receiver(ratings_changed)
def prepare_answer_soon(sender, user, **kwargs) -> None:
    """``user``'s ratings or dismissals changed, so their kept answer is stale: once the change
    commits, ask a worker to make the next one ahead (``tasks.prepare_answer``), so the request
    that follows is served it rather than computing it.

    Best effort, and not through the outbox: with no worker (tasks run in-process), or the broker
    down (and for ``BROKER_RETRY_SECONDS`` after it failed), nothing is sent, and the next request
    makes the answer itself, as it always can.
    """
    if current_app.conf.task_always_eager:
        return
    transaction.on_commit(lambda: _send_prepare_answer(user.pk), robust=True)


def _send_prepare_answer(user_id: int) -> None:
    global _send_again_at
    if time.monotonic() < _send_again_at:
        return
    try:
        send(PREPARE_ANSWER_TASK, [user_id], {}, expires=PREPARE_ANSWER_EXPIRES_SECONDS)
    except (BrokerUnavailable, OSError) as exc:
        _send_again_at = time.monotonic() + BROKER_RETRY_SECONDS
        logger.info("broker unavailable; answers are made on the next request for %ss: %s", BROKER_RETRY_SECONDS, exc)
