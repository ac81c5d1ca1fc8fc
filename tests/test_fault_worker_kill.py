"""Fault drill: the Celery worker is killed (SIGKILL) in the middle of an import, then the import
is run again: it completes with no duplicate rows and counts that add up, and the interrupted run
is recorded as failed, not left "running" forever.
"""
import csv
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from catalog.models import Availability, ImportRun, SourceRecord, Title
from catalog.pipeline import fail_interrupted_runs
from catalog.tasks import import_files
from streamrec.celery import app as celery_app

from .processes import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),  # send_task from an eager process
]

ROWS = 12_000  # twelve batches of 1,000 (the streaming adapter's batch size): a few seconds of work
HEADER = ["show_id", "type", "title", "director", "cast", "country", "date_added", "release_year", "rating", "duration", "listed_in", "description"]
GENRES = ["Dramas", "Comedies", "Documentaries", "Action & Adventure", "International TV Shows", "Thrillers"]


def write_streaming_catalog(path, rows: int) -> None:
    """A generated catalogue in the netflix_titles.csv schema; every title distinct."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(1, rows + 1):
            series = i % 4 == 0
            writer.writerow([
                f"s{i}", "TV Show" if series else "Movie", f"Drill Title {i}", "" if series else f"Director {i % 700}",
                f"Actor {i % 997}, Actor {(i * 7) % 1009}", "United States", "September 25, 2021", 1950 + i % 72,
                "TV-MA" if series else "PG-13", f"{1 + i % 5} Seasons" if series else f"{80 + i % 60} min",
                f"{GENRES[i % 6]}, {GENRES[(i // 6) % 6]}", f"Generated description number {i} for the fault drill.",
            ])


def other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def test_worker_killed_mid_import_then_rerun_completes_without_duplicates(private_redis, start_worker, tmp_path, settings, client):
    path = tmp_path / "upload" / "netflix_titles.csv"
    write_streaming_catalog(path, ROWS)
    worker = start_worker(private_redis.url)
    with celery_app.connection_for_write(private_redis.url) as broker:
        celery_app.send_task("catalog.tasks.import_files", args=["streaming", [str(path)], "netflix"], queue=worker.queue, connection=broker)

    # Kill -9 the worker once a few batches are committed.
    run = wait_for(lambda: ImportRun.objects.filter(rows__gte=2_000).first(), 90, "two committed batches", interval=0.05)
    worker.kill()
    # PostgreSQL ends the dead worker's session (rolling back its open batch) once it sees the
    # connection closed; count only then, so a batch cannot commit between two of the reads below.
    wait_for(lambda: other_sessions() == 0, 30, "the killed worker's database session to end")
    run.refresh_from_db()
    committed = run.rows
    assert run.status == ImportRun.Status.RUNNING and run.trigger == "task" and run.heartbeat_at is not None
    assert 2_000 <= committed < ROWS and committed % 1_000 == 0  # whole batches only
    assert Title.objects.count() == Availability.objects.count() == SourceRecord.objects.count() == run.created == committed

    # A run silent for seconds may still be alive: it is not judged yet. One silent for longer than
    # CATALOG_STALE_RUN_MINUTES has lost its process; the rerun marks it failed before starting.
    assert fail_interrupted_runs() == 0
    settings.CATALOG_STALE_RUN_MINUTES = 0

    # Rerun (what "import again" in admin or the next inbox scan does), here in-process.
    result = import_files("streaming", [str(path)], "netflix")
    assert result["refused"] == []
    final = ImportRun.objects.get(pk=result["runs"][0])
    assert final.status == ImportRun.Status.SUCCEEDED
    assert final.rows == ROWS and final.rejected == 0
    assert final.created + final.updated + final.unchanged + final.rejected == ROWS
    assert (final.unchanged, final.created, final.updated) == (committed, ROWS - committed, 0)

    # No duplicates: one title, one availability and one lineage record per row.
    assert Title.objects.count() == Availability.objects.count() == SourceRecord.objects.count() == ROWS
    assert not Title.objects.values("name", "year").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert not Availability.objects.values("platform", "platform_item_id").annotate(n=Count("pk")).filter(n__gt=1).exists()

    print(f"drill: worker killed after {committed} of {ROWS} rows; rerun created={final.created} unchanged={final.unchanged}")

    # The interrupted run is recorded as failed, with why, and staff see it.
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and run.finished_at is not None
    assert run.message.startswith("interrupted:") and run.rows == committed
    client.force_login(get_user_model().objects.create_superuser("curator", "curator@example.com", "curator-Pass-123"))
    assert "interrupted:" in client.get(f"/staff/imports/{run.pk}/").content.decode()
    assert ImportRun.objects.filter(status=ImportRun.Status.RUNNING).count() == 0


@pytest.mark.django_db
def test_only_runs_silent_for_long_are_marked_interrupted():
    alive = ImportRun.objects.create(format="streaming", path="/inbox/a.csv")
    dead = ImportRun.objects.create(format="streaming", path="/inbox/b.csv")
    finished = ImportRun.objects.create(format="streaming", path="/inbox/c.csv", status=ImportRun.Status.SUCCEEDED)
    ImportRun.objects.filter(pk__in=[dead.pk, finished.pk]).update(started_at=dead.started_at - timedelta(hours=1))
    assert fail_interrupted_runs() == 1
    statuses = dict(ImportRun.objects.values_list("pk", "status"))
    assert statuses == {alive.pk: "running", dead.pk: "failed", finished.pk: "succeeded"}
