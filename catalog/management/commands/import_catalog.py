import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.pipeline import FORMATS, inspect_files, run_import, total_lines


class Command(BaseCommand):
    help = (
        "Import catalogue files: FORMAT is streaming (Netflix/Disney+ CSV), tmdb (movies_metadata, credits, "
        "keywords CSV) or movielens (ml-1m .dat or ml-latest .csv). Idempotent. The last line is the summary "
        "'rows=N created=N updated=N unchanged=N rejected=N'; exits non-zero when a file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", choices=FORMATS)
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--platform", help="platform name for streaming files (default: from the file name)")
        parser.add_argument("--batch-size", type=int, default=None, help="records per transaction")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, format, paths, platform=None, batch_size=None, no_progress=False, **options):
        jobs, refused = inspect_files(format, paths, platform)
        bar = None
        if not refused and not no_progress:
            bar = tqdm(total=total_lines(jobs), unit="lines", file=sys.stderr, desc=f"import {format}", dynamic_ncols=True)
        try:
            result = run_import(
                format, paths, platform=platform, trigger="command", batch_size=batch_size,
                progress=bar.update if bar else None, jobs=jobs if not refused else None,
            )
        finally:
            if bar:
                bar.close()
        for message in result.refused:
            self.stderr.write(f"refused: {message}")
        for run in result.runs:
            self.stdout.write(
                f"{run.role} {run.path}: rows={run.rows} created={run.created} updated={run.updated} "
                f"unchanged={run.unchanged} rejected={run.rejected} (run #{run.pk}, {run.details.get('seconds', '?')} s, "
                f"cpu {run.details.get('cpu_seconds', '?')} s)"
            )
            for note in run.details.get("ambiguous_titles", [])[:20]:
                self.stdout.write(f"  ambiguous: {note}")
        if result.runs:
            self.stdout.write(f"resolution: {result.resolution_line()}")
        self.stdout.write(result.summary_line())
        if not result.ok:
            raise CommandError(f"{len(result.refused)} file(s) refused; nothing was imported", returncode=2)
