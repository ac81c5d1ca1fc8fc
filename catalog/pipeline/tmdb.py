"""TMDB "The Movies Dataset": movies_metadata.csv, credits.csv, keywords.csv.

Nested columns are Python literals (single quotes, None): parsed with ``ast.literal_eval``, never
``eval`` and never quote-replacing into JSON. Records whose columns are shifted (a stray line break
splits a movie in two, so ``id`` holds a date) have the wrong number of fields or a non-integer id:
they are rejected with the reason, the rest load.
"""
import ast
import csv
import re
from dataclasses import dataclass
from pathlib import Path

from catalog import services
from catalog.models import Keyword, Title, TitleKeyword

from .base import (FileInfo, FileRefused, Progress, RowError, RunRecorder, first_line, inspect_file,
                   load_csv_records, open_text, row_checksum)
from .normalize import parse_iso_date
from .resolve import TitleIndex
from .streaming import check_header
from .titles import EnrichmentRecord, FileContext, TitleRecord, load_enrichment_batch, load_title_batch

METADATA_HEADER = [
    "adult", "belongs_to_collection", "budget", "genres", "homepage", "id", "imdb_id", "original_language", "original_title",
    "overview", "popularity", "poster_path", "production_companies", "production_countries", "release_date", "revenue",
    "runtime", "spoken_languages", "status", "tagline", "title", "video", "vote_average", "vote_count",
]
CREDITS_HEADER = ["cast", "crew", "id"]
KEYWORDS_HEADER = ["id", "keywords"]
ROLES = {  # role: (header, order)
    "metadata": (METADATA_HEADER, 0),
    "credits": (CREDITS_HEADER, 1),
    "keywords": (KEYWORDS_HEADER, 2),
}
DEFAULT_BATCH = 500
MAX_LITERAL = 200_000
_INT = re.compile(r"^\d{1,10}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IMDB = re.compile(r"^tt\d{7,8}$")


def literal(value: str, column: str, expected: type):
    """A Python-literal cell -> list/dict; '' or 'None' -> empty; anything else rejects the row."""
    text = value.strip()
    if not text or text == "None" or text == "[]":
        return expected()
    if len(text) > MAX_LITERAL:
        raise RowError(f"{column}: value too long to parse ({len(text)} characters)")
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise RowError(f"{column}: not a Python literal: {text[:60]!r}") from None
    if not isinstance(parsed, expected):
        raise RowError(f"{column}: expected a {expected.__name__}, got {type(parsed).__name__}")
    if expected is list and not all(isinstance(item, dict) for item in parsed):
        raise RowError(f"{column}: expected a list of dicts")
    return parsed


def tmdb_id(value: str, column: str = "id") -> int:
    text = value.strip()
    if _INT.match(text) and int(text) > 0:
        return int(text)
    hint = " (looks like a date: the columns are shifted)" if _DATE.match(text) else ""
    raise RowError(f"{column} is not an integer: {text[:40]!r}{hint}")


def number(value: str, column: str, kind=float, zero_is_unknown=False):
    text = value.strip()
    if not text:
        return None
    try:
        result = kind(float(text)) if kind is int else kind(text)
    except (ValueError, OverflowError):
        raise RowError(f"{column} is not a number: {text[:40]!r}") from None
    if result != result or result < 0:  # NaN or negative
        raise RowError(f"{column} is not a plausible number: {text[:40]!r}")
    return None if zero_is_unknown and result == 0 else result


def boolean(value: str, column: str) -> bool:
    text = value.strip()
    if text in ("True", "False"):
        return text == "True"
    raise RowError(f"{column} is not True/False: {text[:40]!r} (the columns are shifted?)")


def named(items: list[dict], *keys: str) -> tuple:
    out = []
    for item in items:
        values = tuple(item.get(key) for key in keys)
        if all(v not in (None, "") for v in values[:1]) and values not in out:
            out.append(values)
    return tuple(out)


def transform_metadata(row: list[str], line: int) -> TitleRecord:
    if len(row) != len(METADATA_HEADER):
        id_cell = row[5].strip() if len(row) > 5 else ""
        shifted = " (id holds a date: a line break split the record)" if _DATE.match(id_cell) else ""
        raise RowError(f"expected {len(METADATA_HEADER)} fields, got {len(row)}{shifted}")
    cell = dict(zip(METADATA_HEADER, row))
    movie_id = tmdb_id(cell["id"])
    boolean(cell["adult"], "adult")
    boolean(cell["video"], "video")
    name = " ".join(cell["title"].split()) or " ".join(cell["original_title"].split())
    if not name:
        raise RowError("title is empty")
    imdb = cell["imdb_id"].strip() or None
    if imdb is not None and not _IMDB.match(imdb):
        raise RowError(f"imdb_id is not like tt0114709: {imdb[:40]!r}")
    try:
        released = parse_iso_date(cell["release_date"])
    except ValueError:
        raise RowError(f"release_date is not a date: {cell['release_date'][:40]!r}") from None
    year = released.year if released else None
    if year is not None and not 1870 <= year <= 2100:
        raise RowError(f"release_date {released} is out of range")
    runtime = number(cell["runtime"], "runtime", zero_is_unknown=True)
    runtime = int(round(runtime)) if runtime and runtime < 32767 else None
    collection = literal(cell["belongs_to_collection"], "belongs_to_collection", dict)
    genres = tuple(g[:64] for (g,) in named(literal(cell["genres"], "genres", list), "name"))
    companies = tuple((int(i), n) for n, i in named(literal(cell["production_companies"], "production_companies", list), "name", "id") if i is not None)
    countries = tuple((n, c or "") for n, c in named(literal(cell["production_countries"], "production_countries", list), "name", "iso_3166_1"))
    details = {
        "original_title": cell["original_title"].strip()[:300],
        "original_language": cell["original_language"].strip()[:8],
        "release_date": released,
        "tagline": cell["tagline"].strip()[:500],
        "status": cell["status"].strip()[:32],
        "budget": number(cell["budget"], "budget", int, zero_is_unknown=True),
        "revenue": number(cell["revenue"], "revenue", int, zero_is_unknown=True),
        "popularity": number(cell["popularity"], "popularity"),
        "vote_average": number(cell["vote_average"], "vote_average"),
        "vote_count": number(cell["vote_count"], "vote_count", int),
    }
    coll = (int(collection["id"]), str(collection.get("name") or "")) if collection.get("id") is not None else None
    fields = {"description": cell["overview"].strip(), "runtime_minutes": runtime}
    checksum = row_checksum(movie_id, name, year, imdb, fields, details, coll, genres, companies, countries)
    return TitleRecord(
        line=line, external_id=str(movie_id), checksum=checksum, kind=Title.Kind.MOVIE, name=name, year=year, fields=fields,
        external={"tmdb_id": movie_id, "imdb_id": imdb}, genres=genres, countries=countries, details=details,
        collection=coll, companies=companies,
    )


def transform_credits(row: list[str], line: int, index: TitleIndex) -> EnrichmentRecord:
    if len(row) != len(CREDITS_HEADER):
        raise RowError(f"expected {len(CREDITS_HEADER)} fields, got {len(row)}")
    movie_id = tmdb_id(row[2])
    title_id = index.title_for("tmdb_id", movie_id)
    if title_id is None:
        raise RowError(f"unknown TMDB id {movie_id}: import its movies_metadata row first")
    cast = [
        (int(c["id"]), str(c.get("name") or "")[:200], int(c.get("order") or i), str(c.get("character") or ""))
        for i, c in enumerate(literal(row[0], "cast", list))
        if c.get("id") is not None and c.get("name")
    ]
    directors = [
        (int(c["id"]), str(c.get("name") or "")[:200])
        for c in literal(row[1], "crew", list)
        if c.get("job") == "Director" and c.get("id") is not None and c.get("name")
    ]
    return EnrichmentRecord(line, str(movie_id), row_checksum(cast, directors), title_id, (cast, directors))


def transform_keywords(row: list[str], line: int, index: TitleIndex) -> EnrichmentRecord:
    if len(row) != len(KEYWORDS_HEADER):
        raise RowError(f"expected {len(KEYWORDS_HEADER)} fields, got {len(row)}")
    movie_id = tmdb_id(row[0])
    title_id = index.title_for("tmdb_id", movie_id)
    if title_id is None:
        raise RowError(f"unknown TMDB id {movie_id}: import its movies_metadata row first")
    keywords = tuple((int(k), str(n)[:200]) for n, k in named(literal(row[1], "keywords", list), "name", "id") if k is not None)
    return EnrichmentRecord(line, str(movie_id), row_checksum(keywords), title_id, keywords)


def write_credits(records: list[EnrichmentRecord], batch=None) -> None:
    people = services.ensure_tmdb_people([(pid, name) for r in records for group in r.payload for pid, name, *_ in group])
    services.add_credits(
        [(r.title_id, people[pid], "actor", order, character) for r in records for pid, _, order, character in r.payload[0]]
        + [(r.title_id, people[pid], "director", i, "") for r in records for i, (pid, _) in enumerate(r.payload[1])]
    )


def write_keywords(records: list[EnrichmentRecord], batch=None) -> None:
    ids = services.ensure_by_tmdb_id(Keyword, [k for r in records for k in r.payload])
    services.add_links(TitleKeyword, "keyword", [(r.title_id, ids[k]) for r in records for k, _ in r.payload])


@dataclass
class TmdbFile:
    info: FileInfo
    role: str
    order: int
    source: str = "tmdb"

    def load(self, recorder: RunRecorder, index: TitleIndex, progress: Progress | None, batch_size: int | None) -> None:
        source = "tmdb" if self.role == "metadata" else f"tmdb-{self.role}"
        ctx = FileContext(recorder=recorder, index=index, source=source)
        load_csv_records(self.info, lambda row, line: self._transform(row, line, index),
                         lambda records, batch: self._flush(ctx, records, batch), batch_size or DEFAULT_BATCH, progress)

    def _transform(self, row: list[str], line: int, index: TitleIndex):
        if self.role == "metadata":
            return transform_metadata(row, line)
        if self.role == "credits":
            return transform_credits(row, line, index)
        return transform_keywords(row, line, index)

    def _flush(self, ctx, records, batch) -> None:
        if self.role == "metadata":
            load_title_batch(ctx, records, batch)
        else:
            load_enrichment_batch(ctx, records, batch, write_credits if self.role == "credits" else write_keywords)


def inspect(path: Path, platform: str | None = None) -> TmdbFile:
    info = inspect_file(Path(path), ("utf-8",))
    header = [h.strip().lstrip("\ufeff") for h in next(csv.reader([first_line(info)]), [])]
    for role, (expected, order) in ROLES.items():
        if header == expected:
            break
    else:
        best = max(ROLES.items(), key=lambda item: len(set(item[1][0]) & set(header)))
        if not set(best[1][0]) & set(header):
            raise FileRefused(
                f"{info.path}: wrong header: not a TMDB movies_metadata, credits or keywords file "
                f"(expected e.g. {','.join(METADATA_HEADER[:6])},…)"
            )
        check_header(info.path, header, best[1][0])
    with open_text(info) as handle:
        handle.readline()
        if not any(line.strip() for line in handle):
            raise FileRefused(f"{info.path}: the file has a header but no data rows")
    return TmdbFile(info=info, role=role, order=order)
