"""Streaming-platform catalogues (Netflix / Disney+ Kaggle CSV schema)."""
import csv
import re
from dataclasses import dataclass
from pathlib import Path

from catalog import services
from catalog.models import Title

from .base import (FileInfo, FileRefused, Progress, RowError, RunRecorder, first_line, inspect_file,
                   load_csv_records, open_text, row_checksum)
from .normalize import parse_long_date, parse_minutes, parse_seasons, split_list
from .resolve import TitleIndex
from .titles import FileContext, TitleRecord, load_title_batch

HEADER = ["show_id", "type", "title", "director", "cast", "country", "date_added", "release_year", "rating", "duration", "listed_in", "description"]
KINDS = {"Movie": Title.Kind.MOVIE, "TV Show": Title.Kind.SERIES}
PLATFORM_NAMES = {"netflix": "Netflix", "disney-plus": "Disney+", "amazon-prime": "Amazon Prime Video", "hulu": "Hulu"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
DEFAULT_BATCH = 1000


def platform_slug(value: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", value.strip().lower()).strip("-")
    return slug


def platform_from_filename(path: Path) -> str:
    """'netflix_titles.csv' -> 'netflix', 'disney_plus_titles.csv' -> 'disney-plus'."""
    stem = re.sub(r"[_-]?titles?$", "", path.stem.lower())
    return platform_slug(stem)


def check_header(path: Path, header: list[str], expected: list[str]) -> None:
    if header == expected:
        return
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    detail = []
    if missing:
        detail.append(f"missing {', '.join(missing)}")
    if extra:
        detail.append(f"unexpected {', '.join(repr(c) for c in extra[:5])}")
    if not detail:
        detail.append("columns are in another order")
    raise FileRefused(f"{path}: wrong header ({'; '.join(detail)}); expected: {','.join(expected)}")


@dataclass
class StreamingFile:
    info: FileInfo
    platform: str
    role: str = "titles"
    order: int = 0

    @property
    def source(self) -> str:
        return self.platform

    def load(self, recorder: RunRecorder, index: TitleIndex, progress: Progress | None, batch_size: int | None) -> None:
        platform = services.ensure_platform(self.platform, PLATFORM_NAMES.get(self.platform))
        ctx = FileContext(recorder=recorder, index=index, source=f"streaming:{self.platform}")
        load_csv_records(self.info, lambda row, line: transform(row, line, platform.pk),
                         lambda records, batch: load_title_batch(ctx, records, batch),
                         batch_size or DEFAULT_BATCH, progress)

def inspect(path: Path, platform: str | None = None) -> StreamingFile:
    info = inspect_file(Path(path), ("utf-8",))
    header = next(csv.reader([first_line(info)]), [])
    check_header(info.path, [h.strip().lstrip("\ufeff") for h in header], HEADER)
    slug = platform_slug(platform) if platform else platform_from_filename(info.path)
    if not _SLUG.match(slug or ""):
        raise FileRefused(f"{info.path}: cannot tell the platform from the file name; pass --platform NAME")
    with open_text(info) as handle:
        handle.readline()
        if not any(line.strip() for line in handle):
            raise FileRefused(f"{info.path}: the file has a header but no data rows")
    return StreamingFile(info=info, platform=slug)


def transform(row: list[str], line: int, platform_id: int) -> TitleRecord:
    if len(row) != len(HEADER):
        raise RowError(f"expected {len(HEADER)} fields, got {len(row)}")
    show_id, kind, name, director, cast, country, date_added, year, maturity, duration, listed_in, description = row
    show_id = show_id.strip()
    if not show_id:
        raise RowError("show_id is empty")
    if kind.strip() not in KINDS:
        raise RowError(f"type must be Movie or TV Show, got {kind!r}")
    kind = KINDS[kind.strip()]
    name = " ".join(name.split())
    if not name:
        raise RowError("title is empty")
    try:
        year = int(year.strip())
    except ValueError:
        raise RowError(f"release_year is not a year: {year!r}") from None
    if not 1870 <= year <= 2100:
        raise RowError(f"release_year {year} is out of range")
    try:
        added = parse_long_date(date_added)
    except ValueError:
        raise RowError(f"date_added is not a date like 'September 25, 2021': {date_added!r}") from None
    maturity, duration = maturity.strip(), duration.strip()
    if not duration and parse_minutes(maturity) is not None:
        # Three Netflix rows carry the runtime in the rating column and leave duration empty.
        duration, maturity = maturity, ""
    runtime = seasons = None
    if duration:
        runtime, seasons = parse_minutes(duration), parse_seasons(duration)
        if runtime is None and seasons is None:
            raise RowError(f"duration is neither 'N min' nor 'N Season(s)': {duration!r}")
        if seasons is not None and kind == Title.Kind.MOVIE:
            raise RowError(f"a Movie with a duration in seasons: {duration!r}")
    if len(maturity) > 16:
        raise RowError(f"rating is not a content rating: {maturity[:40]!r}")
    directors, actors = split_list(director), split_list(cast)
    countries = tuple((c[:100], "") for c in split_list(country))
    genres = tuple(g[:64] for g in split_list(listed_in))
    description = description.strip()
    fields = {"description": description, "runtime_minutes": runtime, "seasons": seasons, "maturity_rating": maturity}
    checksum = row_checksum(show_id, kind, name, year, added, fields, directors, actors, countries, genres)
    return TitleRecord(
        line=line,
        external_id=show_id,
        checksum=checksum,
        kind=kind,
        name=name,
        year=year,
        fields=fields,
        genres=genres,
        countries=countries,
        directors=directors,
        cast=actors,
        availability=(platform_id, show_id, added),
    )
