"""Backup and restore: ``manage.py backup PATH`` then ``manage.py restore PATH`` into a new PostgreSQL
database and a new model folder, in another process configured for them, serves the same
recommendations to the same users; a backup whose checksums do not match is refused; the nightly
task keeps the newest BACKUP_KEEP."""
import json
import os
import subprocess
import sys

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from ratings.models import Rating
from recommender.backups import MANIFEST, nightly_backup

from .conftest import User, give_romance_taste, recommendations_for

pytestmark = pytest.mark.django_db(transaction=True)

LIST_SCRIPT = """
import json, os
from catalog.selectors import TitleFilters
from recommender.pipeline import RecommendationRequest, recommend
lists = {}
for user_id in json.loads(os.environ["USER_IDS"]):
    lists[user_id] = [[r.title.pk, round(r.predicted_rating, 6), r.personalized]
                      for r in recommend(RecommendationRequest(user_id=user_id, n=10, filters=TitleFilters()))]
print(json.dumps(lists))
"""


def served_list(user) -> list:
    return [[r.title.pk, round(r.predicted_rating, 6), r.personalized] for r in recommendations_for(user)]


def postgres_url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def new_database():
    """An empty PostgreSQL database of the test's own, dropped at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("the round trip restores into a new PostgreSQL database")
    name = f"{connection.settings_dict['NAME']}_restored"
    admin = postgres_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300)


def restored_site_env(database_url: str, model_dir) -> dict:
    """Another process of the site on the restored database and model folder (cache: its database)."""
    env = {k: v for k, v in os.environ.items() if k not in {"STREAMREC_CACHE_URL", "CELERY_BROKER_URL"}}
    return {**env, "DATABASE_URL": database_url, "STREAMREC_MODEL_DIR": str(model_dir), "DJANGO_LOG_LEVEL": "WARNING"}


def test_round_trip_serves_the_same_recommendations_to_the_same_users(taste_catalog, user, tmp_path, new_database):
    give_romance_taste(user, taste_catalog)
    action_fan = User.objects.get(username="rater0")
    users = [user, action_fan, User.objects.get(username="rater1")]
    before = {str(u.pk): served_list(u) for u in users}
    assert before[str(user.pk)][0][2] and before[str(user.pk)] != before[str(action_fan.pk)]  # personal lists

    call_command("backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text())
    assert "database.dump" in manifest["files"] and any(name.startswith("models/model-v") for name in manifest["files"])

    env = restored_site_env(new_database, tmp_path / "restored-models")
    restore = manage(env, "restore", str(tmp_path / "backup"))
    assert restore.returncode == 0, restore.stderr
    assert "checksums of" in restore.stdout
    served = manage({**env, "USER_IDS": json.dumps([u.pk for u in users])}, "shell", "-c", LIST_SCRIPT)
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout.strip().splitlines()[-1]) == before
    with psycopg.connect(new_database) as conn:
        assert conn.execute("SELECT count(*) FROM ratings_rating").fetchone()[0] == Rating.objects.count()
        path = conn.execute("SELECT artifact_path FROM recommender_modelversion WHERE activated_at IS NOT NULL").fetchone()[0]
    assert path.startswith(str(tmp_path / "restored-models"))


def test_a_backup_whose_checksums_do_not_match_is_refused_and_nothing_changes(taste_catalog, user, tmp_path, new_database):
    give_romance_taste(user, taste_catalog)
    call_command("backup", str(tmp_path / "backup"))
    artifact = next((tmp_path / "backup" / "models").iterdir())
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(bytes(data))

    env = restored_site_env(new_database, tmp_path / "restored-models")
    restore = manage(env, "restore", str(tmp_path / "backup"))
    assert restore.returncode != 0
    assert f"models/{artifact.name}: checksum does not match the manifest" in restore.stderr
    with psycopg.connect(new_database) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
    assert not (tmp_path / "restored-models").exists()


def test_restore_refuses_a_database_that_is_in_use_without_replace(user, tmp_path):
    call_command("backup", str(tmp_path / "backup"))
    with pytest.raises(CommandError, match="already has tables"):
        call_command("restore", str(tmp_path / "backup"))
    assert User.objects.filter(pk=user.pk).exists()


def test_a_file_added_to_a_backup_or_a_missing_manifest_is_refused(db, tmp_path):
    call_command("backup", str(tmp_path / "backup"))
    (tmp_path / "backup" / "models" / "extra.npz").write_bytes(b"x")
    with pytest.raises(CommandError, match="extra.npz: not in the manifest"):
        call_command("restore", str(tmp_path / "backup"), "--replace")
    (tmp_path / "backup" / MANIFEST).unlink()
    with pytest.raises(CommandError, match="not a StreamRec backup"):
        call_command("restore", str(tmp_path / "backup"), "--replace")


def test_backup_refuses_an_existing_folder(db, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(tmp_path / "taken"))


def test_the_nightly_backup_is_scheduled_and_keeps_the_newest_n(db, tmp_path, settings):
    from recommender.tasks import backup

    assert settings.CELERY_BEAT_SCHEDULE["backup-nightly"]["task"] == "recommender.tasks.backup"
    settings.BACKUP_DIR, settings.BACKUP_KEEP = tmp_path / "nightly", 2
    made = [backup.delay().get()["backup"] for _ in range(3)]
    kept = sorted(p.name for p in (tmp_path / "nightly").iterdir())
    assert kept == sorted(os.path.basename(p) for p in made[1:])
    made_again, deleted = nightly_backup(tmp_path / "nightly", 2)
    assert [p.name for p in deleted] == [os.path.basename(made[1])] and made_again.is_dir()
