"""Backups of the whole site: the database and the model artifacts, with a manifest of checksums.

A backup is a folder: ``database.dump`` (``pg_dump`` custom format) or ``database.sqlite3`` (SQLite's
online backup API), ``models/`` (a copy of ``MODEL_DIR``) and ``manifest.json`` (every file's SHA-256
and size). It is written under a temporary name and renamed when complete, so a backup that exists is
whole. A restore checks every checksum before it touches anything and refuses a backup that does not
match, then loads the database, copies the artifacts into ``MODEL_DIR`` and points the model versions
at them there. ``manage.py backup``/``restore`` and the nightly beat task (``recommender.tasks.backup``,
keeping the newest ``BACKUP_KEEP``) call these functions.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from streamrec.cache import SERVING_VERSION, catalog_changed, shared

from .models import ModelVersion

FORMAT = "streamrec-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
NIGHTLY_PREFIX = "streamrec-"


class BackupError(Exception):
    """A backup that cannot be made, or a restore refused: nothing was changed."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _postgres_args(db: dict) -> tuple[list[str], dict]:
    args = ["--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = {**os.environ, **({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})}
    return args, env


def _run(argv: list[str], env: dict) -> None:
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{argv[0]} is not installed (PostgreSQL's client programs)") from None
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def _sqlite_copy(source_path, target_path) -> None:
    """SQLite's online backup API: page by page, consistent even while others write the source."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _dump_database(target: Path) -> None:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        args, env = _postgres_args(db)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args], env)
    elif connection.vendor == "sqlite":
        _sqlite_copy(db["NAME"], target)  # a consistent copy while the site keeps writing
    else:
        raise BackupError(f"cannot back up a {connection.vendor} database")


def _migrations() -> dict[str, str]:
    """Each app's newest applied migration: what the restored code must be able to read."""
    newest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        newest[app] = max(newest.get(app, name), name)
    return dict(sorted(newest.items()))


def create_backup(path: Path, say: Callable[[str], None] = lambda message: None) -> dict:
    """Write a backup folder at ``path`` (which must not exist yet); returns its manifest."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists: choose a new folder")
    partial = path.with_name(f".{path.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "models").mkdir(parents=True)
    try:
        database_file = DATABASE_FILES.get(connection.vendor, "database")
        say(f"database ({connection.vendor}) -> {database_file}")
        _dump_database(partial / database_file)
        model_dir = Path(settings.MODEL_DIR)
        artifacts = sorted(p for p in model_dir.iterdir() if p.is_file()) if model_dir.is_dir() else []
        say(f"{len(artifacts)} model artifact(s) from {model_dir}")
        for artifact in artifacts:
            shutil.copy2(artifact, partial / "models" / artifact.name)
        files = {}
        for file in sorted(p for p in partial.rglob("*") if p.is_file()):
            files[file.relative_to(partial).as_posix()] = {"sha256": sha256_of(file), "bytes": file.stat().st_size}
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": {"vendor": connection.vendor, "file": database_file},
            "migrations": _migrations(),
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial.rename(path)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    say(f"{len(files)} files, {sum(f['bytes'] for f in files.values()):,} bytes, checksums in {path / MANIFEST}")
    return manifest


def verify_backup(path: Path) -> dict:
    """The manifest of the backup at ``path`` once every file matches its checksum; BackupError otherwise."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} has no {MANIFEST}: not a StreamRec backup") from None
    except ValueError as error:
        raise BackupError(f"{path / MANIFEST} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is not a {FORMAT} version {FORMAT_VERSION} backup")
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("database"), dict):
        raise BackupError(f"{path / MANIFEST} lacks its list of files or its database entry")
    problems = []
    for name, expected in manifest["files"].items():
        file = path / name
        if not file.is_file():
            problems.append(f"{name}: missing")
        elif file.stat().st_size != expected["bytes"] or sha256_of(file) != expected["sha256"]:
            problems.append(f"{name}: checksum does not match the manifest")
    present = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {MANIFEST}
    problems += [f"{name}: not in the manifest" for name in sorted(present - set(manifest["files"]))]
    if manifest["database"]["file"] not in manifest["files"]:
        problems.append(f"{manifest['database']['file']}: the database is not in the manifest")
    if problems:
        raise BackupError("the backup is damaged, nothing was restored: " + "; ".join(problems))
    return manifest


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def _restore_database(file: Path) -> None:
    db = connection.settings_dict
    connection.close()
    if connection.vendor == "postgresql":
        args, env = _postgres_args(db)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists", "--exit-on-error",
              "--single-transaction", *args, str(file)], env)
    else:
        _sqlite_copy(file, db["NAME"])


def restore_backup(path: Path, replace: bool = False, say: Callable[[str], None] = lambda message: None) -> dict:
    """Restore the backup at ``path`` into the configured database and ``MODEL_DIR``.

    Refuses (BackupError, nothing changed) a backup whose checksums do not match, one of another
    database engine, and, unless ``replace``, a database that has tables or a model folder with files."""
    path = Path(path)
    manifest = verify_backup(path)
    say(f"checksums of {len(manifest['files'])} files match the manifest ({manifest['created_at']})")
    if manifest["database"]["vendor"] != connection.vendor:
        raise BackupError(f"the backup is of a {manifest['database']['vendor']} database; this site uses {connection.vendor}")
    model_dir = Path(settings.MODEL_DIR)
    if not replace:
        if not _database_is_empty():
            raise BackupError("the database already has tables: restore into a new database, or pass --replace")
        if model_dir.is_dir() and any(model_dir.iterdir()):
            raise BackupError(f"{model_dir} is not empty: restore into a new model folder, or pass --replace")
    say(f"database ({connection.vendor}) <- {manifest['database']['file']}")
    _restore_database(path / manifest["database"]["file"])
    model_dir.mkdir(parents=True, exist_ok=True)
    artifacts = sorted(name for name in manifest["files"] if name.startswith("models/"))
    for name in artifacts:
        source, target = path / name, model_dir / Path(name).name
        staged = target.with_name(f".{target.name}.restoring")
        shutil.copy2(source, staged)
        os.replace(staged, target)
    say(f"{len(artifacts)} model artifact(s) -> {model_dir}")
    # Versions recorded where the artifacts were when backed up: they are in MODEL_DIR now.
    for version in ModelVersion.objects.exclude(artifact_path=""):
        moved = model_dir / Path(version.artifact_path).name
        if moved.is_file() and version.artifact_path != str(moved):
            ModelVersion.objects.filter(pk=version.pk).update(artifact_path=str(moved))
    # Cached answers were made from other data: new keys for every list, the serving version re-read.
    shared.delete(SERVING_VERSION)
    catalog_changed()
    return manifest


def nightly_backup(directory: Path, keep: int) -> tuple[Path, list[Path]]:
    """A new backup in ``directory``, then only the newest ``keep`` nightly backups kept; returns the
    new backup and those deleted."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    made = directory / f"{NIGHTLY_PREFIX}{datetime.now(timezone.utc):%Y%m%d-%H%M%S-%f}"
    create_backup(made)
    nightly = sorted(p for p in directory.iterdir() if p.is_dir() and p.name.startswith(NIGHTLY_PREFIX) and (p / MANIFEST).is_file())
    deleted = nightly[:-keep] if keep > 0 else []
    for old in deleted:
        shutil.rmtree(old)
    return made, deleted
