"""Writes to ratings, and the accounts that own them."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Title

from .models import ALLOWED_SCORES, MAX_SCORE, MIN_SCORE, Dismissal, Rating, WatchlistEntry
from .signals import ratings_changed

User = get_user_model()

# Accounts created for people in imported rating dumps: they own ratings but cannot log in.
IMPORTED_USERNAME_PREFIX = "movielens-"


def validate_score(score) -> float:
    """Return ``score`` as a float if it is a half star from 0.5 to 5.0, else raise ValidationError."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        raise ValidationError(f"Score must be a number, got {score!r}.", code="invalid") from None
    if value not in ALLOWED_SCORES:
        raise ValidationError(
            f"Score must be between {MIN_SCORE} and {MAX_SCORE} in half steps, got {score!r}.", code="invalid"
        )
    return value


def rate_title(*, user, title: Title, score) -> tuple[Rating, bool]:
    """Create or change ``user``'s rating of ``title``; returns the rating and whether it is new.

    Safe under concurrent requests for the same user and title: one row, the last write wins.
    """
    rating, created = _write_rating(user, title, score)
    ratings_changed.send(sender=Rating, user=user)
    return rating, created


def _write_rating(user, title: Title, score) -> tuple[Rating, bool]:
    value = validate_score(score)
    if not title.is_active:
        raise ValidationError("This title is no longer in the catalog.", code="inactive")
    now = timezone.now()
    existing = Rating.objects.filter(user=user, title=title)
    if existing.update(score=value, updated_at=now):
        return existing.get(), False
    try:
        with transaction.atomic():
            return Rating.objects.create(user=user, title=title, score=value, created_at=now, updated_at=now), True
    except IntegrityError:
        # Another request created it between our update and insert: ours is the later write.
        existing.update(score=value, updated_at=now)
        return existing.get(), False


def remove_rating(*, user, title: Title) -> bool:
    """Delete ``user``'s rating of ``title``; returns whether there was one."""
    deleted, _ = Rating.objects.filter(user=user, title=title).delete()
    if deleted:
        ratings_changed.send(sender=Rating, user=user)
    return deleted > 0


def ensure_imported_raters(source_user_ids: Iterable[int], prefix: str = IMPORTED_USERNAME_PREFIX) -> dict[int, int]:
    """Return account ids for users of an imported dump, creating accounts that cannot log in."""
    wanted = {int(source_id): f"{prefix}{int(source_id)}" for source_id in source_user_ids}
    by_username = dict(User.objects.filter(username__in=wanted.values()).values_list("username", "id"))
    missing = []
    for username in sorted(set(wanted.values()) - by_username.keys()):
        user = User(username=username, is_active=True)
        user.set_unusable_password()
        missing.append(user)
    if missing:
        User.objects.bulk_create(missing, batch_size=2000, ignore_conflicts=True)
        by_username = dict(User.objects.filter(username__in=wanted.values()).values_list("username", "id"))
    return {source_id: by_username[username] for source_id, username in wanted.items()}


@dataclass(frozen=True)
class ImportedRating:
    user_id: int
    title_id: int
    score: float
    rated_at: datetime


def bulk_import_ratings(ratings: Iterable[ImportedRating], batch_size: int = 10_000) -> int:
    """Insert ratings that do not exist yet, one transaction per batch; returns how many were new.

    Existing (user, title) ratings are kept: what a person set on the site wins over a dump.
    """
    created = 0
    batch: list[tuple[int, int, float, int]] = []
    for item in ratings:
        batch.append((item.user_id, item.title_id, validate_score(item.score), int(item.rated_at.timestamp())))
        if len(batch) >= batch_size:
            with transaction.atomic():
                created += upsert_ratings(batch, keep_existing=True).created
            batch = []
    if batch:
        with transaction.atomic():
            created += upsert_ratings(batch, keep_existing=True).created
    return created


@dataclass(frozen=True)
class RatingCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def upsert_ratings(rows: list[tuple[int, int, float, int]], *, keep_existing: bool = False, bulk_load: bool = False) -> RatingCounts:
    """Write one batch of (user id, title id, score, Unix seconds) ratings; call it inside a transaction.

    New (user, title) pairs are inserted; an existing rating with another score is updated (unless
    ``keep_existing``); the rest are unchanged. Scores must already be valid half stars. A pair that
    repeats within the batch counts once, the last one wins. PostgreSQL: COPY into a temporary table
    and one INSERT … ON CONFLICT; other databases: a lookup of the batch's users and bulk writes.
    ``bulk_load`` (the content pipeline, which can always import a dump again) lets PostgreSQL commit
    without waiting for the WAL flush and checks foreign keys as rows go in rather than at COMMIT.
    """
    from django.db import connection

    latest: dict[tuple[int, int], tuple[float, int]] = {}
    for user_id, title_id, score, ts in rows:
        latest[(user_id, title_id)] = (score, ts)
    repeats = len(rows) - len(latest)
    if not latest:
        return RatingCounts()
    if connection.vendor == "postgresql":
        created, updated = _upsert_ratings_postgres(connection, latest, keep_existing, bulk_load)
    else:
        created, updated = _upsert_ratings_generic(latest, keep_existing)
    return RatingCounts(created, updated, len(latest) - created - updated + repeats)


def _upsert_ratings_postgres(connection, latest, keep_existing: bool, bulk_load: bool = False) -> tuple[int, int]:
    """COPY straight into the table when none of the batch's users has a rating yet (a first import:
    the fastest path), else COPY into a temporary table and INSERT … ON CONFLICT from there."""
    from django.db import IntegrityError

    table = connection.ops.quote_name(Rating._meta.db_table)
    user_ids = sorted({user_id for user_id, _ in latest})
    with connection.cursor() as cursor:
        if bulk_load:
            # A dump can be imported again, so its transaction need not wait for the WAL to reach disk
            # (a server crash may lose the last batch, never half of one); foreign keys are checked
            # as rows go in, not at COMMIT, so a batch does not hold the run's counter row meanwhile.
            cursor.execute("SET LOCAL synchronous_commit TO off")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE user_id = ANY(%s))", [user_ids])
        if not cursor.fetchone()[0]:
            try:
                with transaction.atomic():  # a savepoint: a rating written meanwhile sends us to the slow path
                    with cursor.copy(f"COPY {table} (user_id, title_id, score, created_at, updated_at) FROM STDIN") as copy:
                        lines = []
                        for (u, t), (s, ts) in sorted(latest.items()):
                            when = _pg_timestamp(ts)
                            lines.append(f"{u}\t{t}\t{s}\t{when}\t{when}\n")
                        copy.write("".join(lines))
                return len(latest), 0
            except IntegrityError:
                pass
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage_ratings (user_id bigint, title_id bigint, score double precision, ts bigint) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE stage_ratings")
        with cursor.copy("COPY stage_ratings (user_id, title_id, score, ts) FROM STDIN") as copy:
            copy.write("".join(f"{u}\t{t}\t{s}\t{ts}\n" for (u, t), (s, ts) in latest.items()))
        conflict = (
            "DO NOTHING"
            if keep_existing
            else f"DO UPDATE SET score = EXCLUDED.score, updated_at = EXCLUDED.updated_at WHERE {table}.score IS DISTINCT FROM EXCLUDED.score"
        )
        cursor.execute(
            f"WITH written AS (INSERT INTO {table} (user_id, title_id, score, created_at, updated_at) "
            f"SELECT user_id, title_id, score, to_timestamp(ts), to_timestamp(ts) FROM stage_ratings ORDER BY user_id, title_id "
            f"ON CONFLICT (user_id, title_id) {conflict} RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written"
        )
        created, updated = cursor.fetchone()
    return created, updated


_DAYS: dict[int, str] = {}


def _pg_timestamp(ts: int) -> str:
    """Unix seconds as a UTC timestamptz literal for COPY ('2000-12-31 22:12:40+00').

    Plain arithmetic with a per-day cache: eight times cheaper than datetime.isoformat per row."""
    days, seconds = divmod(int(ts), 86400)
    day = _DAYS.get(days)
    if day is None:
        day = _DAYS.setdefault(days, datetime.fromtimestamp(days * 86400, tz=UTC).date().isoformat())
    hours, rest = divmod(seconds, 3600)
    return f"{day} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}+00"


def _upsert_ratings_generic(latest, keep_existing: bool) -> tuple[int, int]:
    user_ids = sorted({user_id for user_id, _ in latest})
    existing: dict[tuple[int, int], tuple[int, float]] = {}
    for start in range(0, len(user_ids), 500):
        for pk, user_id, title_id, score in Rating.objects.filter(user_id__in=user_ids[start : start + 500]).values_list(
            "id", "user_id", "title_id", "score"
        ):
            existing[(user_id, title_id)] = (pk, score)
    new, changed = [], []
    for (user_id, title_id), (score, ts) in latest.items():
        when = datetime.fromtimestamp(ts, tz=UTC)
        found = existing.get((user_id, title_id))
        if found is None:
            new.append(Rating(user_id=user_id, title_id=title_id, score=score, created_at=when, updated_at=when))
        elif not keep_existing and found[1] != score:
            changed.append(Rating(pk=found[0], score=score, updated_at=when))
    Rating.objects.bulk_create(new, batch_size=500)
    Rating.objects.bulk_update(changed, ["score", "updated_at"], batch_size=500)
    return len(new), len(changed)


def add_to_watchlist(*, user, title: Title) -> bool:
    """Put ``title`` on ``user``'s watchlist; returns whether it was not there yet."""
    _, created = WatchlistEntry.objects.get_or_create(user=user, title=title)
    return created


def remove_from_watchlist(*, user, title: Title) -> bool:
    deleted, _ = WatchlistEntry.objects.filter(user=user, title=title).delete()
    return deleted > 0


def dismiss_title(*, user, title: Title) -> bool:
    """Mark ``title`` as not interesting for ``user``; returns whether it was new."""
    _, created = Dismissal.objects.get_or_create(user=user, title=title)
    if created:
        ratings_changed.send(sender=Dismissal, user=user)
    return created


def undo_dismissal(*, user, title: Title) -> bool:
    deleted, _ = Dismissal.objects.filter(user=user, title=title).delete()
    if deleted:
        ratings_changed.send(sender=Dismissal, user=user)
    return deleted > 0


# --- Offline sync from mobile clients ---------------------------------------------------------------------


@dataclass(frozen=True)
class SyncChange:
    """One change a client made offline: ``score`` None removes the rating; ``changed_at`` is when."""

    title_id: int
    score: float | None
    changed_at: datetime | None = None


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    stale: int = 0
    outcomes: list[tuple[int, str]] | None = None  # (title id, created|updated|deleted|unchanged|stale) per change


SYNC_MAX_CHANGES = 500


def apply_sync_change(rating: Rating | None, score, when) -> str:
    """Apply one offline change to the existing ``rating`` (None: there is none) if it is not older
    than the rating's last change; returns the outcome."""
    if score is None:
        if rating is None:
            return "unchanged"
        if rating.updated_at > when:
            return "stale"
        rating.delete()
        return "deleted"
    if rating.score == float(score):
        return "unchanged"
    if rating.updated_at > when:
        return "stale"
    rating.score, rating.updated_at = float(score), when
    rating.save(update_fields=["score", "updated_at"])
    return "updated"


@transaction.atomic
def sync_ratings(*, user, changes: list[SyncChange]) -> SyncResult:
    """Apply a batch of offline rating changes of ``user`` in one transaction; idempotent.

    A rating is created, changed (when the score differs) or removed (``score`` None). The newest
    change wins: a change made before the rating was last changed on the server is ``stale`` and
    skipped. A change dated in the future counts as made now. Within a batch the last change of a
    title wins. Replaying the same batch changes nothing (every change then comes back
    ``unchanged``, or ``stale`` if the server moved on). Every title must be active, every score
    a half star, or nothing is written (ValidationError keyed by the change's position).
    """
    if len(changes) > SYNC_MAX_CHANGES:
        raise ValidationError(f"At most {SYNC_MAX_CHANGES} changes per batch.", code="too_many")
    errors: dict[str, list[str]] = {}
    for index, change in enumerate(changes):
        if change.score is not None:
            try:
                validate_score(change.score)
            except ValidationError as exc:
                errors[f"{index}.score"] = exc.messages
    active = set(Title.objects.filter(pk__in={c.title_id for c in changes}, is_active=True).values_list("pk", flat=True))
    for index, change in enumerate(changes):
        if change.title_id not in active:
            errors[f"{index}.title"] = [f"No active title with id {change.title_id}."]
    if errors:
        raise ValidationError(errors)

    # One sync per user at a time: two batches arriving together (a retrying phone, two devices)
    # would both find no row and both insert. The next one waits here, then sees what this one wrote
    # (FOR NO KEY UPDATE: rating writes referencing the user are not blocked).
    list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True))
    now = timezone.now()
    latest: dict[int, SyncChange] = {}
    for change in changes:
        latest.pop(change.title_id, None)
        latest[change.title_id] = change
    existing = {
        rating.title_id: rating
        for rating in Rating.objects.select_for_update().filter(user=user, title_id__in=list(latest))
    }
    result = SyncResult(outcomes=[])
    for title_id, change in latest.items():
        when = min(change.changed_at or now, now)
        rating = existing.get(title_id)
        if rating is None and change.score is not None:
            try:
                with transaction.atomic():
                    Rating.objects.create(user=user, title_id=title_id, score=float(change.score), created_at=when, updated_at=when)
                outcome = "created"
            except IntegrityError:
                # A single rating (rate_title does not wait for syncs) created the row meanwhile.
                rating = Rating.objects.select_for_update().get(user=user, title_id=title_id)
                outcome = apply_sync_change(rating, change.score, when)
        else:
            outcome = apply_sync_change(rating, change.score, when)
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.outcomes.append((title_id, outcome))
    if result.created or result.updated or result.deleted:
        ratings_changed.send(sender=Rating, user=user)
    return result


# --- The website's account tools: ratings as CSV, deleting an account ----------------------------------------

CSV_EXPORT_COLUMNS = ["title_id", "movieId", "imdbId", "tmdbId", "title", "year", "rating", "timestamp"]
CSV_IMPORT_MAX_ROWS = 20_000
# Columns that identify a title in an imported file, in the order they are tried.
CSV_TITLE_KEYS = {"title_id": "pk", "movieId": "movielens_id", "imdbId": "imdb_id", "tmdbId": "tmdb_id"}


def export_ratings_csv(user, out) -> int:
    """Write ``user``'s ratings to the text stream ``out`` as MovieLens-style CSV; returns the row count.

    Besides MovieLens' ``movieId,rating,timestamp`` it carries the site's title id, IMDb and TMDB
    ids, name and year, so the file also reads well in a spreadsheet and imports back losslessly.
    """
    import csv

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
    import csv
    import io

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
        found = Title.objects.filter(is_active=True, **{f"{field}__in": list(values)}).values_list(field, "pk")
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
        ratings_changed.send(sender=Rating, user=user)
    return result


@transaction.atomic
def delete_account(user) -> int:
    """Delete ``user`` with their ratings, watchlist and dismissals; returns how many ratings went."""
    ratings, _ = Rating.objects.filter(user=user).delete()
    user.delete()
    return ratings
