"""MovieLens dumps: ml-1m (``::``-separated .dat, Latin-1) and ml-latest (CSV, UTF-8).

Files are recognised by name and checked by content: movies (.dat/.csv), links.csv, users.dat,
ratings (.dat/.csv), tags.csv, genome-tags.csv, genome-scores.csv (``movielens_tags``). Within one
import they load in that order, so ratings and tags find their movies.
Rating users become accounts that cannot log in (``ratings.bulk.ensure_imported_raters``).
"""
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection

from catalog import services
from catalog.models import Title, TitleConflict
from ratings.bulk import IMPORTED_USERNAME_PREFIX, ensure_imported_raters, upsert_ratings
from ratings.models import ALLOWED_SCORES

from . import movielens_tags
from .base import Batch, ParallelWriter, prefetched, FileInfo, FileRefused, Progress, RowError, RunRecorder, first_line, inspect_file, open_text, row_checksum
from .normalize import split_list, split_movielens_title
from .resolve import TitleIndex
from .titles import EnrichmentRecord, FileContext, TitleRecord, load_enrichment_batch, load_title_batch, merge_on_shared_ids

ORDER = {"movies": 0, "links": 1, "users": 2, "ratings": 3, "tags": 4, "genome-tags": 5, "genome-scores": 6}
CSV_HEADERS = {
    "movies": ["movieId", "title", "genres"],
    "links": ["movieId", "imdbId", "tmdbId"],
    "ratings": ["userId", "movieId", "rating", "timestamp"],
    "tags": ["userId", "movieId", "tag", "timestamp"],
    "genome-tags": ["tagId", "tag"],
    "genome-scores": ["movieId", "tagId", "relevance"],
}
DAT_PATTERNS = {
    "movies": re.compile(r"^\d+::.+::.*$"),
    "users": re.compile(r"^\d+::[MF]::\d+::\d+::.*$"),
    "ratings": re.compile(r"^\d+::\d+::\d+(\.\d+)?::\d+$"),
}
SCORES = frozenset(ALLOWED_SCORES)
ML1M_RATER_PREFIX = "ml1m-"
TITLE_BATCH = 2000
RATING_BATCH = 50_000
RATING_WRITERS = 2  # parallel database connections for ratings (PostgreSQL, outside a transaction)


def _role_from_name(path: Path) -> str | None:
    name = path.name.lower()
    for role in ("movies", "ratings", "users", "links", "tags", "genome-tags", "genome-scores"):
        if name.startswith(role):
            return role
    return None


@dataclass
class MovieLensFile:
    info: FileInfo
    role: str
    dialect: str  # "dat" or "csv"
    source: str = "movielens"
    order: int = field(init=False)

    def __post_init__(self):
        self.order = ORDER[self.role]

    @property
    def rater_prefix(self) -> str:
        """User ids are per dataset: ml-1m raters get their own accounts, apart from ml-latest ones."""
        return ML1M_RATER_PREFIX if self.dialect == "dat" else IMPORTED_USERNAME_PREFIX

    def lines(self):
        """(line number, text) of the data lines; the CSV header is skipped."""
        with open_text(self.info) as handle:
            if self.dialect == "csv":
                handle.readline()
                number = 1
            else:
                number = 0
            for text in handle:
                number += 1
                yield number, text.rstrip("\r\n")

    def load(self, recorder: RunRecorder, index: TitleIndex, progress: Progress | None, batch_size: int | None):
        if self.role in movielens_tags.LOADERS:
            return movielens_tags.LOADERS[self.role](self, recorder, index, progress, batch_size)
        return getattr(self, f"load_{self.role}")(recorder, index, progress, batch_size)

    # --- movies -----------------------------------------------------------------------------------
    def parse_movie(self, number: int, text: str) -> TitleRecord:
        if self.dialect == "dat":
            parts = text.split("::")
            if len(parts) != 3:
                raise RowError(f"expected 3 '::'-separated fields, got {len(parts)}")
        else:
            parts = next(csv.reader([text]))
            if len(parts) != 3:
                raise RowError(f"expected 3 fields, got {len(parts)}")
        movie_id, raw_title, genres = parts
        if not movie_id.strip().isdigit():
            raise RowError(f"movieId is not an integer: {movie_id[:40]!r}")
        name, year = split_movielens_title(raw_title)
        if not name:
            raise RowError("title is empty")
        if year is not None and not 1870 <= year <= 2100:
            raise RowError(f"year {year} is out of range")
        genre_names = tuple(g[:64] for g in split_list(genres, "|") if g != "(no genres listed)")
        movie_id = int(movie_id)
        return TitleRecord(
            line=number, external_id=str(movie_id), checksum=row_checksum(movie_id, name, year, genre_names),
            kind=Title.Kind.MOVIE, name=name, year=year, external={"movielens_id": movie_id}, genres=genre_names, with_aka=True,
        )

    def load_movies(self, recorder, index, progress, batch_size):
        ctx = FileContext(recorder=recorder, index=index, source="movielens")
        self._run(ctx, batch_size or TITLE_BATCH, self.parse_movie, lambda records, batch: load_title_batch(ctx, records, batch), progress)

    # --- links ------------------------------------------------------------------------------------
    def load_links(self, recorder, index, progress, batch_size):
        ctx = FileContext(recorder=recorder, index=index, source="movielens-links")

        def parse(number: int, text: str) -> EnrichmentRecord:
            parts = text.split(",")
            if len(parts) != 3:
                raise RowError(f"expected 3 fields, got {len(parts)}")
            movie_id, imdb, tmdb = (p.strip() for p in parts)
            if not movie_id.isdigit():
                raise RowError(f"movieId is not an integer: {movie_id[:40]!r}")
            if imdb and not imdb.isdigit():
                raise RowError(f"imdbId is not an integer: {imdb[:40]!r}")
            if tmdb and not tmdb.isdigit():
                raise RowError(f"tmdbId is not an integer: {tmdb[:40]!r}")
            title_id = index.title_for("movielens_id", int(movie_id))
            if title_id is None:
                raise RowError(f"unknown MovieLens movie {movie_id}: import movies first")
            ids = {"imdb_id": f"tt{int(imdb):07d}" if imdb else None, "tmdb_id": int(tmdb) if tmdb else None}
            return EnrichmentRecord(number, movie_id, row_checksum(ids), title_id, ids)

        def write(records: list[EnrichmentRecord], batch) -> dict[int, str]:
            """Set the ids the links name; an id another title holds is evidence that the two are
            one work, decided by the resolution step after the batch (merged, or held for review)."""
            refused, shared = {}, []
            titles = Title.objects.in_bulk([r.title_id for r in records])
            changed = {}
            for record in records:
                title = titles[record.title_id]
                free = {}
                for name, value in record.payload.items():
                    current = getattr(title, name)
                    if value is None or current == value:
                        continue
                    holder = index.title_for(name, value)
                    if holder not in (None, title.pk):
                        shared.append((record, {name: value}))
                    elif current not in (None, ""):
                        refused[id(record)] = f"title #{title.pk} already has {name} {current}, the link says {value}"
                    else:
                        free[name] = value
                if id(record) in refused:
                    continue
                for name, value in free.items():
                    setattr(title, name, value)
                    index.set_external(title.pk, **{name: value})
                    changed[title.pk] = title
            services.update_objects(list(changed.values()), ["imdb_id", "tmdb_id", "updated_at"])
            outcome = merge_on_shared_ids(ctx, batch, [(ids, record.title_id) for record, ids in shared])
            if outcome is not None:
                decided = {(c.other_id, c.evidence): result for c, result in outcome.decided.items()}
                for record, ids in shared:
                    (name, value), = ids.items()
                    conflict = decided.get((record.title_id, f"{name} {value}"))
                    if isinstance(conflict, TitleConflict):
                        refused[id(record)] = (
                            f"held for review: {name} {value} names title #{conflict.title_id} and #{conflict.other_id}, "
                            f"which cannot be one work: {conflict.reason}"
                        )
                for record in records:
                    record.title_id = outcome.final(record.title_id)
            return refused

        self._run(ctx, batch_size or TITLE_BATCH, parse, lambda records, batch: load_enrichment_batch(ctx, records, batch, write), progress)

    # --- users ------------------------------------------------------------------------------------
    def load_users(self, recorder, index, progress, batch_size):
        User = get_user_model()

        def parse(number: int, text: str) -> int:
            parts = text.split("::")
            if len(parts) != 5 or not parts[0].isdigit():
                raise RowError(f"expected 'UserID::Gender::Age::Occupation::Zip-code', got {text[:60]!r}")
            return int(parts[0])

        def flush(user_ids: list[int], batch: Batch) -> None:
            def write():
                names = [f"{self.rater_prefix}{u}" for u in user_ids]
                existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
                ensure_imported_raters(user_ids, prefix=self.rater_prefix)
                batch.counts.rows += len(user_ids)
                batch.counts.unchanged += len(existing)
                batch.counts.created += len(user_ids) - len(existing)

            recorder.commit(batch, write)

        self._run(None, batch_size or 5000, parse, flush, progress)

    # --- ratings ----------------------------------------------------------------------------------
    def load_ratings(self, recorder, index, progress, batch_size):
        movie_titles = dict(Title.objects.filter(movielens_id__isnull=False).values_list("movielens_id", "id"))
        accounts: dict[int, int] = {}
        sep = "::" if self.dialect == "dat" else ","

        def parse(number: int, text: str) -> tuple[int, int, float, int]:
            parts = text.split(sep)
            if len(parts) != 4:
                raise RowError(f"expected 4 fields, got {len(parts)}")
            try:
                user_id, movie_id, ts = int(parts[0]), int(parts[1]), int(parts[3])
                score = float(parts[2])
            except ValueError:
                raise RowError("userId, movieId, rating and timestamp must be numbers") from None
            if score not in SCORES:
                raise RowError(f"rating {parts[2]} is not a half star from 0.5 to 5")
            title_id = movie_titles.get(movie_id)
            if title_id is None:
                raise RowError(f"unknown MovieLens movie {movie_id}: import movies first")
            return user_id, title_id, score, ts

        def with_accounts(rows):
            new_users = {u for u, *_ in rows if u not in accounts}
            if new_users:
                accounts.update(ensure_imported_raters(new_users, prefix=self.rater_prefix))
            return [(accounts[u], t, s, ts) for u, t, s, ts in rows]

        def write(rows: list[tuple[int, int, float, int]], batch: Batch) -> None:
            def upsert():
                counts = upsert_ratings(rows, bulk_load=True)
                batch.counts.rows += len(rows)
                batch.counts.created += counts.created
                batch.counts.updated += counts.updated
                batch.counts.unchanged += counts.unchanged

            recorder.commit(batch, upsert)

        size = batch_size or RATING_BATCH
        if connection.vendor == "postgresql" and not connection.in_atomic_block and RATING_WRITERS > 1:
            # Accounts are created here (committed at once), ratings are written on parallel connections.
            writer = ParallelWriter(RATING_WRITERS, write)
            try:
                self._run(None, size, parse, lambda rows, batch: writer.submit(with_accounts(rows), batch), progress, prefetch=True)
            finally:
                writer.close()
        else:
            self._run(None, size, parse, lambda rows, batch: write(with_accounts(rows), batch), progress, prefetch=True)

    # --- shared loop ------------------------------------------------------------------------------
    def _batches(self, size: int, parse):
        """(parsed records, Batch holding the rejects, last line number) per ``size`` records."""
        batch, records, last = Batch(), [], 0
        for number, text in self.lines():
            last = number
            if not text.strip():
                continue
            try:
                records.append(parse(number, text))
            except RowError as error:
                batch.reject(number, str(error), text)
            if len(records) + batch.counts.rejected >= size:
                yield records, batch, number
                batch, records = Batch(), []
        if records or batch.counts.rows:
            yield records, batch, last
        elif last:
            yield [], None, last

    def _run(self, ctx, size: int, parse, flush, progress, prefetch: bool = False) -> None:
        """Parse and flush batch by batch; with ``prefetch`` the next batch is parsed in a thread
        while the database writes the current one."""
        batches = self._batches(size, parse)
        done = 0
        for records, batch, last in prefetched(batches) if prefetch else batches:
            if batch is not None:
                flush(records, batch)
            if progress:
                progress(last - done)
            done = last


def inspect(path: Path, platform: str | None = None) -> MovieLensFile:
    path = Path(path)
    dialect = "dat" if path.suffix.lower() == ".dat" else "csv"
    info = inspect_file(path, ("utf-8", "latin-1") if dialect == "dat" else ("utf-8",))
    head = first_line(info)
    role = _role_from_name(path)
    if dialect == "csv":
        header = [h.strip().lstrip("\ufeff") for h in head.split(",")]
        found = next((r for r, h in CSV_HEADERS.items() if h == header), None)
        if found is None:
            expected = CSV_HEADERS.get(role) if role in CSV_HEADERS else None
            hint = f"expected {','.join(expected)}" if expected else "expected a movies, links, ratings, tags or genome header"
            raise FileRefused(f"{path}: wrong header {head[:80]!r}; {hint}")
        role = found
    else:
        if not head.strip():
            raise FileRefused(f"{path}: the first line is blank; expected MovieLens '::'-separated records")
        if role not in DAT_PATTERNS:
            role = next((r for r, pattern in DAT_PATTERNS.items() if pattern.match(head)), None)
            if role is None:
                raise FileRefused(f"{path}: not a MovieLens movies/users/ratings .dat file: first line {head[:80]!r}")
        elif not DAT_PATTERNS[role].match(head):
            raise FileRefused(f"{path}: first line {head[:80]!r} is not a MovieLens {role} record")
    with open_text(info) as handle:
        if dialect == "csv":
            handle.readline()
        if not any(line.strip() for line in handle):
            raise FileRefused(f"{path}: the file has no data rows")
    return MovieLensFile(info=info, role=role, dialect=dialect)
