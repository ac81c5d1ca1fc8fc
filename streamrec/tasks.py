from celery import shared_task
from celery.signals import worker_ready

from .outbox import flush_outbox


@shared_task(name="streamrec.tasks.flush_outbox")
def send_queued_tasks() -> int:
    """Send the tasks kept while the broker was down."""
    return flush_outbox()


@worker_ready.connect
def send_queued_tasks_on_start(sender=None, **kwargs):
    send_queued_tasks.delay()
