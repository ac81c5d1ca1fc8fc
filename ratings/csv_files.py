"""A user's ratings as CSV files, for the website's account tools: export to MovieLens-style CSV
and import from it (or from this site's own export)."""
import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from streamrec.cache import user_changed

from .bulk import upsert_ratings
from .models import Rating
from .selectors import active_titles
from .services import validate_score

CSV_EXPORT_COLUMNS = ["title_id", "movieId", "imdbId", "tmdbId", "title", "year", "rating", "timestamp"]
CSV_IMPORT_MAX_ROWS = 20_000
# Columns that identify a title in an imported file, in the order they are tried.
CSV_TITLE_KEYS = {"title_id": "pk", "movieId": "movielens_id", "imdbId": "imdb_id", "tmdbId": "tmdb_id"}


def export_ratings_csv(user, out) -> int:
    """Write ``user``'s ratings to the text stream ``out`` as MovieLens-style CSV; returns the row count.

    Besides MovieLens' ``movieId,rating,timestamp`` it carries the site's title id, IMDb and TMDB
    ids, name and year, so the file also reads well in a spreadsheet and imports back losslessly.
    """
    writer = csv.writer(out)
    writer.writerow(CSV_EXPORT_COLUMNS)
    count = 0
    for rating in Rating.objects.filter(user=user).select_related("title").order_by("title__name", "title_id"):
        t = rating.title
        writer.writerow([t.pk, t.movielens_id or "", t.imdb_id or "", t.tmdb_id or "", t.name, t.year or "", f"{rating.score:g}",
                         int(rating.updated_at.timestamp())])
        count += 1
    return count


@dataclass
class CsvImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[str] | None = None  # the first few reasons rows were skipped, with line numbers


def import_ratings_csv(user, text: str) -> CsvImportResult:
    """Import ratings from MovieLens-style CSV text (``movieId,rating[,timestamp]`` or this site's export).

    Titles are matched on ``title_id``, ``movieId`` (MovieLens), ``imdbId`` or ``tmdbId``, whichever
    the file has; a row whose title is unknown or whose score is not a half star is skipped and
    reported. A file with the ratings of several MovieLens users (a ``userId`` column with more than
    one value) is refused: it is not one person's ratings. Rows are written in one transaction.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    keys = [column for column in CSV_TITLE_KEYS if column in columns]
    if "rating" not in columns or not keys:
        raise ValidationError("The file needs a header with a rating column and one of title_id, movieId, imdbId or tmdbId.")
    rows = list(reader)
    if len(rows) > CSV_IMPORT_MAX_ROWS:
        raise ValidationError(f"At most {CSV_IMPORT_MAX_ROWS:,} ratings per file.")
    if "userId" in columns and len({(row.get("userId") or "").strip() for row in rows}) > 1:
        raise ValidationError("The file holds the ratings of several users (more than one userId): export one person's ratings.")

    lookups: dict[str, dict[str, int]] = {}
    for column in keys:
        field = CSV_TITLE_KEYS[column]
        values = {(row.get(column) or "").strip() for row in rows} - {""}
        if field != "imdb_id":
            values = {v for v in values if v.isdigit()}
        found = active_titles().filter(**{f"{field}__in": list(values)}).values_list(field, "pk")
        lookups[column] = {str(value): pk for value, pk in found}

    result = CsvImportResult(problems=[])
    batch: list[tuple[int, int, float, int]] = []
    now = int(timezone.now().timestamp())
    for line, row in enumerate(rows, start=2):
        title_id = next((lookups[c].get((row.get(c) or "").strip()) for c in keys if lookups[c].get((row.get(c) or "").strip())), None)
        problem = None
        try:
            score = validate_score((row.get("rating") or "").strip())
        except ValidationError as exc:
            problem = exc.messages[0]
        if problem is None and title_id is None:
            problem = "no title in the catalog matches this row"
        if problem is None:
            stamp = (row.get("timestamp") or "").strip()
            try:
                ts = int(float(stamp)) if stamp else now
            except ValueError:
                try:
                    ts = int(datetime.fromisoformat(stamp).timestamp())
                except ValueError:
                    ts = now
            batch.append((user.pk, title_id, score, min(ts, now)))
        else:
            result.skipped += 1
            if len(result.problems) < 10:
                result.problems.append(f"line {line}: {problem}")
    with transaction.atomic():
        counts = upsert_ratings(batch)
    result.created, result.updated, result.unchanged = counts.created, counts.updated, counts.unchanged
    if result.created or result.updated:
        user_changed(user.pk)
    return result
