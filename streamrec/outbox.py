"""Sending Celery tasks without losing them while the broker is down.

``enqueue`` sends a task, named as Celery registers it; when the broker cannot be reached it stores
the task in the database instead, and ``flush_outbox`` (run by beat every minute and when a worker
starts) sends what is waiting once the broker is back. Nothing is dropped silently.
"""
import importlib
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


def enqueue(name: str, *args, connection=None, **kwargs) -> bool:
    """Run the task registered as ``name`` (e.g. ``"recommender.tasks.retrain"``) in a worker;
    returns False when it was kept in the outbox for later. Tasks go by name, so the caller need
    not import the module that defines them.

    With no broker configured (development), the task runs in-process at once; as in a worker,
    its failure is logged, not raised to the caller. Its module (``name`` up to the last dot) is
    imported first so that the task is registered.
    """
    if current_app.conf.task_always_eager:
        importlib.import_module(name.rsplit(".", 1)[0])
        task = current_app.tasks[name]
        try:
            result = task.apply(args=args, kwargs=kwargs, throw=False)
        except Exception:  # noqa: BLE001 - Celery applies an eager task's retry with its propagate default
            logger.exception("task %s failed", name)
            return True
        if result.failed():
            logger.error("task %s failed: %r", name, result.result)
        return True
    try:
        send(name, list(args), kwargs, connection)
        return True
    except (BrokerUnavailable, OSError) as exc:
        QueuedTask.objects.create(name=name, args=list(args), kwargs=kwargs, attempts=1, last_error=str(exc)[:1000])
        logger.warning("broker unavailable; %s kept in the outbox: %s", name, exc)
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
