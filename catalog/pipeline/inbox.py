"""The inbox: a folder where new catalogue files are dropped, imported once per content.

Layout: ``<inbox>/<format>/<file>``, format being streaming, tmdb or movielens. Streaming files take
their platform from a sub-folder (``streaming/netflix/titles.csv``) or from the file name
(``streaming/netflix_titles.csv``). A file is new or changed when no finished import run has its
checksum (SHA-256); failed runs are retried. Files still being written (modified in the last
``min_age_seconds``) wait for the next scan.
"""
import hashlib
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from catalog.models import ImportRun

from . import FORMATS, inspect_files, run_import
from .streaming import platform_from_filename, platform_slug

logger = logging.getLogger(__name__)

SUFFIXES = {".csv", ".dat"}
FINISHED = (ImportRun.Status.SUCCEEDED, ImportRun.Status.REFUSED)
TITLE_ROLES = ("titles", "movies", "metadata")
_LOCK_KEY = 0x5354524D  # "STRM": one inbox scan at a time (PostgreSQL advisory lock)


@dataclass
class InboxResult:
    imported: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    new_titles: int = 0
    new_ratings: int = 0
    retrain_requested: bool = False
    busy: bool = False

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def pending_files(inbox: Path, min_age_seconds: float = 2.0) -> dict[tuple[str, str | None], list[Path]]:
    """New or changed files by (format, platform), oldest first."""
    groups: dict[tuple[str, str | None], list[Path]] = {}
    now = time.time()
    for format in FORMATS:
        folder = inbox / format
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*"), key=lambda p: (p.stat().st_mtime, str(p)) if p.exists() else (0, str(p))):
            if not path.is_file() or path.suffix.lower() not in SUFFIXES or path.name.startswith("."):
                continue
            if now - path.stat().st_mtime < min_age_seconds:
                continue
            checksum = file_checksum(path)
            if ImportRun.objects.filter(format=format, checksum=checksum, status__in=FINISHED).exists():
                continue
            platform = None
            if format == "streaming":
                parent = path.parent
                platform = platform_slug(parent.name) if parent != folder else platform_from_filename(path)
            groups.setdefault((format, platform), []).append(path)
    return groups


@contextmanager
def scan_lock():
    """True when this process may scan; PostgreSQL advisory lock, no lock elsewhere."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def scan_inbox(inbox: Path | None = None, *, min_age_seconds: float = 2.0, trigger: str = "inbox") -> InboxResult:
    """Import what is new in the inbox, then request a retrain if enough new content came in."""
    inbox = Path(inbox or settings.CATALOG_INBOX_DIR)
    result = InboxResult()
    with scan_lock() as locked:
        if not locked:
            result.busy = True
            return result
        for (format, platform), paths in pending_files(inbox, min_age_seconds).items():
            jobs, refused = inspect_files(format, paths, platform)
            for path, message in refused:
                ImportRun.objects.create(
                    format=format, path=str(path), checksum=file_checksum(path), size_bytes=path.stat().st_size,
                    trigger=trigger, status=ImportRun.Status.REFUSED, message=message, finished_at=timezone.now(),
                )
                result.refused.append(message)
            if jobs:
                imported = run_import(format, [job.info.path for job in jobs], platform=platform, trigger=trigger, jobs=jobs)
                result.imported.extend(str(job.info.path) for job in jobs)
                result.new_titles += imported.new_titles
                result.new_ratings += imported.new_ratings
        result.retrain_requested = request_retrain_if_due()
    return result


def request_retrain_if_due() -> bool:
    """Request a retrain when the imports not yet followed by one brought enough new titles or ratings.

    Counts accumulate over scans (and over imports run by hand) until a retrain is requested."""
    pending = ImportRun.objects.filter(status=ImportRun.Status.SUCCEEDED, retrain_requested_at__isnull=True)
    new_titles = sum(pending.filter(role__in=TITLE_ROLES).values_list("created", flat=True))
    new_ratings = sum(pending.filter(role="ratings").values_list("created", flat=True))
    if new_titles < settings.CATALOG_RETRAIN_MIN_NEW_TITLES and new_ratings < settings.CATALOG_RETRAIN_MIN_NEW_RATINGS:
        return False
    trigger_retrain()
    pending.update(retrain_requested_at=timezone.now())
    logger.info("retrain requested after %s new titles and %s new ratings", new_titles, new_ratings)
    return True


def trigger_retrain() -> None:
    """Queue ``recommender.tasks.retrain`` (kept in the outbox while the broker is down)."""
    from streamrec.outbox import enqueue

    enqueue("recommender.tasks.retrain")
