from celery import shared_task

from .watch_services import mark_abandoned_viewings


@shared_task(name="ratings.tasks.mark_abandoned_viewings")
def mark_abandoned() -> dict:
    """Viewings stopped early and not resumed within a week count against their titles from now on
    (``ratings.watching``)."""
    return {"marked": mark_abandoned_viewings()}
