"""Celery tasks of the content pipeline; the work is done by catalog.pipeline."""
from celery import shared_task

from .pipeline import fail_interrupted_runs, run_import
from .pipeline.inbox import scan_inbox as scan


@shared_task(name="catalog.tasks.import_files")
def import_files(format: str, paths: list[str], platform: str | None = None) -> dict:
    """Import files (e.g. uploaded through admin); returns the summary and the runs."""
    result = run_import(format, paths, platform=platform, trigger="task")
    return {
        "summary": result.summary_line(),
        "resolution": result.resolution_line(),
        "refused": result.refused,
        "runs": [run.pk for run in result.runs],
    }


@shared_task(name="catalog.tasks.scan_inbox")
def scan_inbox() -> dict:
    """Beat task: mark imports interrupted by a dead worker as failed, import new or changed files
    from settings.CATALOG_INBOX_DIR (files of failed runs again), maybe request a retrain."""
    fail_interrupted_runs()
    return scan().as_dict()
