"""The content pipeline: one adapter per source format (extract -> validate/transform -> load).

``run_import`` is the single entry point used by the management command, the Celery tasks and admin.
Every file is inspected first (encoding, header, emptiness); if any file is refused, nothing is
written for any of them. Each file then becomes one ImportRun, loaded in batches that are each one
transaction (data, counters and rejected rows together).
"""
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import ImportRun

from . import movielens, sqlite, streaming, tmdb
from .base import Counts, FileRefused, Progress, RunRecorder
from .resolve import TitleIndex

logger = logging.getLogger(__name__)

ADAPTERS = {"streaming": streaming, "tmdb": tmdb, "movielens": movielens}
FORMATS = tuple(ADAPTERS)


@dataclass
class ImportResult:
    format: str
    runs: list[ImportRun] = field(default_factory=list)
    totals: Counts = field(default_factory=Counts)
    refused: list[str] = field(default_factory=list)
    new_titles: int = 0
    new_ratings: int = 0

    @property
    def ok(self) -> bool:
        return not self.refused

    def summary_line(self) -> str:
        t = self.totals
        return f"rows={t.rows} created={t.created} updated={t.updated} unchanged={t.unchanged} rejected={t.rejected}"

    def resolution_line(self) -> str:
        t = self.totals
        return f"matched={t.matched} new={t.new} ambiguous={t.ambiguous} merged={t.merged} held_for_review={t.held}"


# Tables a load writes, by file role: their planner statistics are refreshed after the load.
WRITTEN_TABLES = {
    "ratings": ["ratings_rating", "auth_user"],
    "users": ["auth_user"],
    "links": ["catalog_title"],
    "credits": ["catalog_person", "catalog_credit"],
    "keywords": ["catalog_keyword", "catalog_titlekeyword"],
}
TITLE_TABLES = [
    "catalog_title", "catalog_title_genres", "catalog_person", "catalog_credit", "catalog_titlecountry",
    "catalog_availability", "catalog_sourcerecord", "catalog_titledetails", "catalog_titlecompany",
]


def analyze_after_load(role: str) -> None:
    """PostgreSQL: ANALYZE what a load wrote. Fresh bulk-loaded tables have no statistics until
    autovacuum gets to them, and queries planned meanwhile (the next import's included) can be slow."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(WRITTEN_TABLES.get(role, TITLE_TABLES)))


def inspect_files(format: str, paths: Sequence[str | Path], platform: str | None = None):
    """Inspect every file; returns (jobs, refusal messages). Writes nothing."""
    if format not in ADAPTERS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    jobs, refused = [], []
    for path in paths:
        try:
            jobs.append(ADAPTERS[format].inspect(Path(path), platform))
        except FileRefused as error:
            refused.append((Path(path), str(error)))
    return jobs, refused


# A running import commits a batch every few seconds; one silent for this long has lost its process.
STALE_RUN_MINUTES = 15


def fail_interrupted_runs(stale_after: timedelta | None = None) -> int:
    """Mark failed the runs left "running" by a process that died (a worker killed mid-import):
    no batch committed for ``stale_after`` (settings.CATALOG_STALE_RUN_MINUTES, default 15 min).
    Their committed batches stay; importing the file again finishes it (imports are idempotent).
    Returns how many runs were marked."""
    if stale_after is None:
        stale_after = timedelta(minutes=getattr(settings, "CATALOG_STALE_RUN_MINUTES", STALE_RUN_MINUTES))
    cutoff = timezone.now() - stale_after
    stale = list(
        ImportRun.objects.filter(status=ImportRun.Status.RUNNING)
        .annotate(last_beat=Coalesce("heartbeat_at", "started_at"))
        .filter(last_beat__lte=cutoff)
        .values_list("pk", "last_beat")
    )
    marked = 0
    for pk, last_beat in stale:
        message = (
            f"interrupted: no batch committed since {last_beat:%Y-%m-%d %H:%M:%S %Z} (its process died); "
            "the batches committed before are kept; import the file again to finish it"
        )
        marked += ImportRun.objects.filter(pk=pk, status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.FAILED, message=message, finished_at=timezone.now()
        )
        logger.warning("import run %s: %s", pk, message)
    return marked


def total_lines(jobs) -> int:
    return sum(job.info.lines for job in jobs)


def run_import(
    format: str,
    paths: Sequence[str | Path],
    *,
    platform: str | None = None,
    trigger: str = "command",
    progress: Progress | None = None,
    batch_size: int | None = None,
    jobs=None,
) -> ImportResult:
    """Import ``paths`` of ``format``. Refused files are reported in ``result.refused``; crashes propagate
    after the run is marked failed (batches already committed stay, the crashing one is rolled back)."""
    result = ImportResult(format=format)
    if jobs is None:
        jobs, refused = inspect_files(format, paths, platform)
    else:
        refused = []
    if refused:
        for path, message in refused:
            result.refused.append(message)
            ImportRun.objects.create(
                format=format, path=str(path), trigger=trigger, status=ImportRun.Status.REFUSED, message=message, finished_at=timezone.now()
            )
        for job in jobs:
            ImportRun.objects.create(
                format=format, path=str(job.info.path), checksum=job.info.checksum, size_bytes=job.info.size, trigger=trigger,
                role=job.role, source=job.source, status=ImportRun.Status.REFUSED, finished_at=timezone.now(),
                message="not imported: another file of the same import was refused",
            )
        return result

    fail_interrupted_runs()
    with sqlite.import_mode():
        _load_jobs(format, jobs, result, trigger, progress, batch_size)
    if result.new_titles:
        make_new_titles_recommendable()
    return result


def _load_jobs(format: str, jobs, result: ImportResult, trigger: str, progress, batch_size) -> None:
    index = TitleIndex()
    for job in sorted(jobs, key=lambda job: job.order):
        run = ImportRun.objects.create(
            format=format, role=job.role, source=job.source, path=str(job.info.path), checksum=job.info.checksum,
            size_bytes=job.info.size, trigger=trigger, details={"encoding": job.info.encoding},
        )
        recorder = RunRecorder(run)
        try:
            extra = job.load(recorder, index, progress, batch_size) or {}
        except Exception as error:
            logger.exception("import of %s failed", job.info.path)
            recorder.finish(ImportRun.Status.FAILED, f"{type(error).__name__}: {error}")
            raise
        analyze_after_load(job.role)
        mode = sqlite.current_mode()
        if mode is not None:  # what the embedded database ran in (WAL and synchronous=NORMAL, 1)
            extra["sqlite"] = {"journal_mode": mode[0], "synchronous": mode[1]}
        run = recorder.finish(ImportRun.Status.SUCCEEDED, **extra)
        result.runs.append(run)
        result.totals.add(recorder.totals)
        if job.role == "ratings":
            result.new_ratings += recorder.totals.created
        elif job.role in ("titles", "movies"):
            result.new_titles += recorder.totals.created


def make_new_titles_recommendable() -> None:
    """New titles join the serving model by content at once, ahead of the next retrain."""
    from streamrec.outbox import enqueue

    enqueue("recommender.tasks.place_new_titles")


__all__ = ["FORMATS", "FileRefused", "ImportResult", "fail_interrupted_runs", "inspect_files", "run_import"]
