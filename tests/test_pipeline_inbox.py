"""The inbox beat task: imports new or changed files once, then maybe requests a retrain."""
import os
import time

import pytest

from catalog import tasks
from catalog.models import ImportRun, Title
from catalog.pipeline import inbox
from tests.fixtures.pipeline import ML1M, NETFLIX, copy_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox_dir(settings, tmp_path):
    settings.CATALOG_INBOX_DIR = tmp_path / "inbox"
    settings.CATALOG_RETRAIN_MIN_NEW_TITLES = 5
    settings.CATALOG_RETRAIN_MIN_NEW_RATINGS = 1000
    return settings.CATALOG_INBOX_DIR


@pytest.fixture
def retrains(monkeypatch):
    calls = []
    monkeypatch.setattr(inbox, "trigger_retrain", lambda: calls.append(1))
    return calls


def drop(inbox_dir, source, relative, age=60, replace=None):
    path = copy_with(inbox_dir, source, name=relative, replace=replace)
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def test_new_file_is_imported_once(inbox_dir, retrains):
    drop(inbox_dir, NETFLIX, "streaming/netflix_titles.csv")
    first = tasks.scan_inbox.apply().get()
    assert len(first["imported"]) == 1 and first["new_titles"] == 8
    assert ImportRun.objects.get().trigger == "inbox"
    second = tasks.scan_inbox.apply().get()
    assert second["imported"] == [] and ImportRun.objects.count() == 1


def test_changed_file_is_imported_again(inbox_dir, retrains):
    path = drop(inbox_dir, NETFLIX, "streaming/netflix/latest.csv")
    tasks.scan_inbox.apply()
    drop(inbox_dir, NETFLIX, "streaming/netflix/latest.csv", replace=("PG-13,90 min", "PG,90 min"))
    result = tasks.scan_inbox.apply().get()
    assert result["imported"] == [str(path)]
    run = ImportRun.objects.order_by("-pk").first()
    assert (run.source, run.updated, run.created) == ("netflix", 1, 0)


def test_file_still_being_written_waits(inbox_dir, retrains):
    drop(inbox_dir, NETFLIX, "streaming/netflix_titles.csv", age=0)
    assert tasks.scan_inbox.apply().get()["imported"] == []
    assert Title.objects.count() == 0


def test_refused_file_is_recorded_once(inbox_dir, retrains):
    bad = inbox_dir / "tmdb" / "broken.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("a,b\n1,2\n")
    os.utime(bad, (time.time() - 60, time.time() - 60))
    assert len(tasks.scan_inbox.apply().get()["refused"]) == 1
    assert tasks.scan_inbox.apply().get()["refused"] == []
    assert ImportRun.objects.get().status == "refused"


def test_retrain_requested_when_enough_new_titles(inbox_dir, retrains):
    drop(inbox_dir, NETFLIX, "streaming/netflix_titles.csv")
    assert tasks.scan_inbox.apply().get()["retrain_requested"] is True
    assert retrains == [1]
    assert ImportRun.objects.filter(retrain_requested_at__isnull=True).count() == 0
    # Nothing new since: no second request.
    assert tasks.scan_inbox.apply().get()["retrain_requested"] is False and retrains == [1]


def test_no_retrain_below_the_thresholds_but_counts_accumulate(inbox_dir, retrains, settings):
    settings.CATALOG_RETRAIN_MIN_NEW_TITLES = 10
    drop(inbox_dir, ML1M / "movies_sample.dat", "movielens/movies.dat")
    assert tasks.scan_inbox.apply().get()["retrain_requested"] is False  # 6 new titles
    drop(inbox_dir, NETFLIX, "streaming/netflix_titles.csv")
    assert tasks.scan_inbox.apply().get()["retrain_requested"] is True  # 6 + 8
    assert retrains == [1]


def test_trigger_retrain_runs_the_recommender_task(db):
    """Without a broker the retrain runs in-process; with too few ratings it records a failed version."""
    from recommender.models import ModelVersion

    inbox.trigger_retrain()
    assert ModelVersion.objects.get().status == ModelVersion.Status.FAILED


def test_import_files_task(inbox_dir):
    result = tasks.import_files.apply(args=("streaming", [str(NETFLIX)])).get()
    assert result["summary"] == "rows=12 created=8 updated=1 unchanged=0 rejected=3"
    assert ImportRun.objects.get().trigger == "task"


def test_beat_schedule_has_the_inbox_entry(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["import-inbox"]
    assert entry["task"] == "catalog.tasks.scan_inbox"
