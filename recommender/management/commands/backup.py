"""``manage.py backup PATH``: the database, the model artifacts and a manifest of checksums in a new folder."""
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommender.backups import BackupError, create_backup


class Command(BaseCommand):
    help = "Back up the database and the model artifacts into a new folder PATH (with a manifest of checksums)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a folder that does not exist yet")

    def handle(self, *args, path: Path, **options):
        started = time.monotonic()
        try:
            create_backup(path, say=lambda message: self.stdout.write(f"[{time.monotonic() - started:6.1f} s] {message}"))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"backup written to {path} in {time.monotonic() - started:.1f} s"))
