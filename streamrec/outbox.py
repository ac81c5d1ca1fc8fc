"""Sending Celery tasks without losing them while the broker is down.

``enqueue`` sends a task; when the broker cannot be reached it stores the task in the database
instead, and ``flush_outbox`` (run by beat every minute and when a worker starts) sends what is
waiting once the broker is back. Nothing is dropped silently.
"""
import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from .models import QueuedTask

logger = logging.getLogger(__name__)


def send(name: str, args: list, kwargs: dict, connection=None, **options) -> None:
    """Send task ``name`` now (``options``: Celery's, e.g. ``expires``); raises when the broker
    cannot be reached."""
    # retry=False: a request must not hang on a dead broker; the outbox is the retry.
    current_app.send_task(name, args=args, kwargs=kwargs, retry=False, connection=connection, **options)


def enqueue(task, *args, connection=None, **kwargs) -> bool:
    """Run ``task`` in a worker; returns False when it was kept in the outbox for later.

    With no broker configured (development), the task runs in-process at once; as in a worker,
    its failure is logged, not raised to the caller.
    """
    if current_app.conf.task_always_eager:
        result = task.apply(args=args, kwargs=kwargs, throw=False)
        if result.failed():
            logger.error("task %s failed: %r", task.name, result.result)
        return True
    try:
        send(task.name, list(args), kwargs, connection)
        return True
    except (BrokerUnavailable, OSError) as exc:
        QueuedTask.objects.create(name=task.name, args=list(args), kwargs=kwargs, attempts=1, last_error=str(exc)[:1000])
        logger.warning("broker unavailable; %s kept in the outbox: %s", task.name, exc)
        return False


def flush_outbox(connection=None, limit: int = 500) -> int:
    """Send waiting tasks, oldest first; returns how many were sent. Stops at the first failure."""
    sent = 0
    for queued_id in list(QueuedTask.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            queued = QueuedTask.objects.select_for_update(skip_locked=True).filter(pk=queued_id, sent_at__isnull=True).first()
            if queued is None:
                continue  # another flusher has it
            try:
                send(queued.name, queued.args, queued.kwargs, connection)
            except (BrokerUnavailable, OSError) as exc:
                QueuedTask.objects.filter(pk=queued.pk).update(attempts=queued.attempts + 1, last_error=str(exc)[:1000])
                return sent
            QueuedTask.objects.filter(pk=queued.pk).update(sent_at=timezone.now())
            sent += 1
    return sent
