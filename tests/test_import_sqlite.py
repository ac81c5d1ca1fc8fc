"""The embedded default's import: SQLite in WAL mode with synchronous=NORMAL during the import
only, ratings written by executemany, the same data as on PostgreSQL."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.fixtures.pipeline import FIXTURES
from tests.processes import REPO

DUMP = FIXTURES / "resolution"


def manage(database, *args):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_DEBUG": "1"}
    for name in ("CELERY_BROKER_URL", "STREAMREC_CACHE_URL"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sqlite_import_runs_in_wal_mode_only_while_it_imports(tmp_path):
    database = tmp_path / "embedded.sqlite3"
    manage(database, "migrate", "-v0")
    with sqlite3.connect(database) as db:
        before = db.execute("PRAGMA journal_mode").fetchone()[0]  # the site's own mode (settings: WAL)
    files = [DUMP / n for n in ("movies.csv", "links.csv", "ratings.csv", "tags.csv")]
    out = manage(database, "import_catalog", "movielens", *map(str, files), "--no-progress", "--skip-checks")
    assert out.strip().splitlines()[-1] == "rows=41 created=32 updated=8 unchanged=1 rejected=0"
    with sqlite3.connect(database) as db:
        modes = [json.loads(details)["sqlite"] for (details,) in db.execute("SELECT details FROM catalog_importrun")]
        assert modes == [{"journal_mode": "wal", "synchronous": 1}] * 4  # 1 = NORMAL
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == before  # the import leaves the mode as it found it
        ratings = db.execute(
            "SELECT u.username, t.movielens_id, r.score, r.created_at FROM ratings_rating r "
            "JOIN auth_user u ON u.id = r.user_id JOIN catalog_title t ON t.id = r.title_id ORDER BY r.created_at"
        ).fetchall()
    assert len(ratings) == 12
    assert ratings[0] == ("movielens-1", 2571, 5.0, "2000-07-30 18:20:47")  # stored as Django stores datetimes
    again = manage(database, "import_catalog", "movielens", *map(str, files), "--no-progress", "--skip-checks")
    assert again.strip().splitlines()[-1] == "rows=41 created=0 updated=0 unchanged=41 rejected=0"


@pytest.mark.django_db
def test_changed_ratings_on_the_executemany_path(monkeypatch):
    """The SQLite branch of upsert_ratings (run here against PostgreSQL): new, changed, unchanged."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from catalog.models import Title
    from ratings.bulk import upsert_ratings
    from ratings.models import Rating

    monkeypatch.setattr(connection, "vendor", "sqlite")
    user = get_user_model().objects.create(username="ann")
    a, b = Title.objects.create(name="A"), Title.objects.create(name="B")
    with transaction.atomic():
        first = upsert_ratings([(user.pk, a.pk, 4.0, 964982703), (user.pk, b.pk, 3.0, 964982704), (user.pk, a.pk, 4.5, 964982705)])
    assert (first.created, first.updated, first.unchanged) == (2, 0, 1)
    with transaction.atomic():
        second = upsert_ratings([(user.pk, a.pk, 4.5, 964982705), (user.pk, b.pk, 2.0, 964990000)])
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    changed = Rating.objects.get(title=b)
    assert changed.score == 2.0 and changed.updated_at.timestamp() == 964990000
