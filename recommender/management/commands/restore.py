"""``manage.py restore PATH``: a backup made by ``manage.py backup``, checked against its manifest first."""
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommender.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = ("Restore a backup folder into the configured database and STREAMREC_MODEL_DIR. Refuses a backup whose "
            "checksums do not match its manifest, and a database or model folder that is not empty unless --replace.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a folder written by manage.py backup")
        parser.add_argument("--replace", action="store_true", help="overwrite a database and model folder that are not empty")

    def handle(self, *args, path: Path, replace: bool, **options):
        started = time.monotonic()
        try:
            restore_backup(path, replace=replace, say=lambda message: self.stdout.write(f"[{time.monotonic() - started:6.1f} s] {message}"))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"restored {path} in {time.monotonic() - started:.1f} s; "
                                             "run manage.py migrate, then restart the web processes and workers"))
