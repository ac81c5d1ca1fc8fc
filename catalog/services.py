"""Writes of imported titles to the catalog: MovieLens movies (the demo data), and the bulk writes
of the content pipeline (``catalog.pipeline``); and a person's choice of streaming services. Curators'
writes are in ``catalog.curation``."""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from streamrec.cache import user_changed

from .models import Genre, Platform, StreamingServices, Title


@dataclass(frozen=True)
class MovieLensMovie:
    movielens_id: int
    name: str
    year: int | None
    genres: tuple[str, ...]


# MovieLens marks a movie without genres with this placeholder; it is not a genre.
NO_GENRES = "(no genres listed)"


def ensure_genres(names: Iterable[str]) -> dict[str, int]:
    """Return genre ids by name, creating the missing genres."""
    wanted = {name.strip() for name in names if name and name.strip() and name.strip() != NO_GENRES}
    existing = dict(Genre.objects.filter(name__in=wanted).values_list("name", "id"))
    missing = [Genre(name=name) for name in sorted(wanted - existing.keys())]
    Genre.objects.bulk_create(missing, ignore_conflicts=True)
    if missing:
        existing = dict(Genre.objects.filter(name__in=wanted).values_list("name", "id"))
    return existing


@transaction.atomic
def upsert_movielens_movies(movies: Iterable[MovieLensMovie]) -> tuple[dict[int, int], int]:
    """Create the MovieLens movies not yet in the catalog (matched on MovieLens id).

    Returns the title id of every given MovieLens id, and how many titles were created.
    Existing titles are left as they are: curators may have edited them.
    """
    movies = list({movie.movielens_id: movie for movie in movies}.values())
    ids = [movie.movielens_id for movie in movies]
    title_ids = dict(Title.objects.filter(movielens_id__in=ids).values_list("movielens_id", "id"))
    new_movies = [movie for movie in movies if movie.movielens_id not in title_ids]
    if not new_movies:
        return title_ids, 0

    Title.objects.bulk_create(
        [
            Title(kind=Title.Kind.MOVIE, name=movie.name[:300], year=movie.year, movielens_id=movie.movielens_id)
            for movie in new_movies
        ],
        batch_size=2000,
    )
    title_ids = dict(Title.objects.filter(movielens_id__in=ids).values_list("movielens_id", "id"))
    genre_ids = ensure_genres(name for movie in new_movies for name in movie.genres)
    Through = Title.genres.through
    Through.objects.bulk_create(
        [
            Through(title_id=title_ids[movie.movielens_id], genre_id=genre_ids[name])
            for movie in new_movies
            for name in movie.genres
            if name in genre_ids
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    return title_ids, len(new_movies)


# --- Bulk writes used by the content pipeline (catalog/pipeline) ------------------------------------------
# Each returns ids by natural key, creating what is missing with one INSERT per chunk. They work on
# PostgreSQL and SQLite alike; callers wrap them in the batch's transaction.

IN_CHUNK = 900  # stays under SQLite's limit on query parameters


def chunks(items: list, size: int = IN_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def filter_in(queryset, field: str, values) -> list:
    """``queryset`` restricted to ``field`` in ``values``, as a list of querysets to iterate.

    PostgreSQL gets one query with ``= ANY(array)`` (one parameter, however many values); other
    databases get ``IN`` lists in chunks small enough for SQLite.
    """
    values = list(values)
    if not values:
        return []
    if _is_postgres():
        model = queryset.model
        column = f'"{model._meta.db_table}"."{model._meta.get_field(field).column}"'
        return [queryset.extra(where=[f"{column} = ANY(%s)"], params=[values])]
    return [queryset.filter(**{f"{field}__in": part}) for part in chunks(values)]


def insert_ignoring_conflicts(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``fields`` order) into ``model``'s table, skipping rows that would
    violate a unique constraint. PostgreSQL: COPY into a temporary table, then INSERT … SELECT … ON
    CONFLICT DO NOTHING; elsewhere an executemany of INSERT … ON CONFLICT DO NOTHING."""
    from django.db import connection, transaction

    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stage = connection.ops.quote_name(f"stage_{model._meta.db_table}")
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA")
            cursor.execute(f"TRUNCATE {stage}")
            with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} ON CONFLICT DO NOTHING")
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT DO NOTHING", rows)


def update_objects(objs: list, fields: list[str]) -> None:
    """Save ``fields`` of ``objs`` with one parameterised UPDATE run for all rows (executemany).

    Django's bulk_update builds a CASE per row and field, which costs seconds of CPU for a few
    thousand rows; this costs milliseconds. ``updated_at`` (auto_now) is set when listed."""
    from django.db import connection
    from django.utils import timezone

    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    now = timezone.now()
    concrete = [meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in concrete)} "
        f"WHERE {qn(meta.pk.column)} = %s"
    )
    rows = []
    for obj in objs:
        if "updated_at" in fields:
            obj.updated_at = now
        rows.append([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in concrete] + [obj.pk])
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def ensure_people_by_name(names: Iterable[str]) -> dict[str, int]:
    """Person ids by name for people credited by name only (streaming catalogues).

    A name-only person of that name wins; else an existing TMDB person of that name; else a new one.
    """
    from .models import Person

    wanted = sorted({name[:200] for name in names if name})
    found: dict[str, int] = {}
    for qs in filter_in(Person.objects.filter(tmdb_id__isnull=True), "name", wanted):
        found.update(qs.values_list("name", "id"))
    rest = [name for name in wanted if name not in found]
    for qs in filter_in(Person.objects.order_by("pk"), "name", rest):
        for name, pk in qs.values_list("name", "id"):
            found.setdefault(name, pk)
    missing = [name for name in wanted if name not in found]
    if missing:
        insert_ignoring_conflicts(Person, ["name"], [(name,) for name in missing])
        for qs in filter_in(Person.objects.filter(tmdb_id__isnull=True), "name", missing):
            found.update(qs.values_list("name", "id"))
    return found


def ensure_tmdb_people(people: Iterable[tuple[int, str]]) -> dict[int, int]:
    """Person ids by TMDB id; a name-only person of the same name is adopted (gets the TMDB id)."""
    from .models import Person

    wanted = {int(tmdb_id): (name or "")[:200] for tmdb_id, name in people}
    ids = sorted(wanted)
    found: dict[int, int] = {}
    for qs in filter_in(Person.objects.all(), "tmdb_id", ids):
        found.update(qs.values_list("tmdb_id", "id"))
    missing = {tmdb_id: wanted[tmdb_id] for tmdb_id in ids if tmdb_id not in found}
    if missing:
        by_name: dict[str, int] = {}
        for qs in filter_in(Person.objects.filter(tmdb_id__isnull=True), "name", sorted(set(missing.values()))):
            by_name.update(qs.values_list("name", "id"))
        adopt = []
        for tmdb_id, name in missing.items():
            pk = by_name.pop(name, None)
            if pk is not None:
                adopt.append(Person(pk=pk, name=name, tmdb_id=tmdb_id))
                found[tmdb_id] = pk
        update_objects(adopt, ["tmdb_id"])
        create = [Person(name=name, tmdb_id=tmdb_id) for tmdb_id, name in missing.items() if tmdb_id not in found]
        Person.objects.bulk_create(create, batch_size=2000, ignore_conflicts=True)
        for qs in filter_in(Person.objects.all(), "tmdb_id", [person.tmdb_id for person in create]):
            found.update(qs.values_list("tmdb_id", "id"))
    return found


def ensure_countries(countries: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Country ids by name from (name, ISO code) pairs; a known code fills an empty one."""
    from .models import Country

    wanted: dict[str, str] = {}
    for name, code in countries:
        name = (name or "").strip()[:100]
        if name:
            wanted[name] = wanted.get(name) or (code or "")[:2]
    existing = {}
    for qs in filter_in(Country.objects.all(), "name", sorted(wanted)):
        existing.update({c.name: c for c in qs})
    Country.objects.bulk_create(
        [Country(name=name, iso_code=code) for name, code in wanted.items() if name not in existing], ignore_conflicts=True
    )
    fill = [country for name, country in existing.items() if not country.iso_code and wanted[name]]
    for country in fill:
        country.iso_code = wanted[country.name]
    update_objects(fill, ["iso_code"])
    result = {}
    for qs in filter_in(Country.objects.all(), "name", sorted(wanted)):
        result.update(qs.values_list("name", "id"))
    return result


def ensure_by_tmdb_id(model, items: Iterable[tuple[int, str]]) -> dict[int, int]:
    """Ids by TMDB id for Collection, Company or Keyword; a changed name is updated."""
    wanted = {int(tmdb_id): (name or "")[:200] for tmdb_id, name in items}
    existing = {}
    for qs in filter_in(model.objects.all(), "tmdb_id", sorted(wanted)):
        existing.update({obj.tmdb_id: obj for obj in qs})
    renamed = [obj for tmdb_id, obj in existing.items() if wanted[tmdb_id] and obj.name != wanted[tmdb_id]]
    for obj in renamed:
        obj.name = wanted[obj.tmdb_id]
    update_objects(renamed, ["name"])
    model.objects.bulk_create(
        [model(tmdb_id=tmdb_id, name=name) for tmdb_id, name in wanted.items() if tmdb_id not in existing], ignore_conflicts=True
    )
    result = {}
    for qs in filter_in(model.objects.all(), "tmdb_id", sorted(wanted)):
        result.update(qs.values_list("tmdb_id", "id"))
    return result


def add_links(through, field: str, pairs: Iterable[tuple[int, int]]) -> None:
    """Insert (title_id, other_id) link rows that are missing; existing links are left alone."""
    insert_ignoring_conflicts(through, ["title", field], list(dict.fromkeys(pairs)))


def add_credits(credits: Iterable[tuple[int, int, str, int, str]]) -> None:
    """Insert (title_id, person_id, role, order, character) credits that are missing."""
    from .models import Credit

    unique = {}
    for title_id, person_id, role, order, character in credits:
        unique.setdefault((title_id, person_id, role), (min(order, 32767), (character or "")[:300]))
    insert_ignoring_conflicts(
        Credit, ["title", "person", "role", "order", "character"], [(t, p, r, o, c) for (t, p, r), (o, c) in unique.items()]
    )


def ensure_platform(slug: str, name: str | None = None):
    from .models import Platform

    platform, _ = Platform.objects.get_or_create(slug=slug, defaults={"name": name or slug.replace("-", " ").title()})
    return platform


def upsert_availabilities(rows: Iterable[tuple[int, int, str, object]]) -> None:
    """(platform_id, title_id, platform_item_id, date_added): insert or update on (platform, item id)."""
    from .models import Availability

    objs = [Availability(platform_id=p, title_id=t, platform_item_id=i, date_added=d) for p, t, i, d in rows]
    Availability.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["platform", "platform_item_id"],
        update_fields=["title", "date_added"],
    )


def upsert_source_records(source: str, rows: Iterable[tuple[str, int, str]], run_id: int | None) -> None:
    """(external_id, title_id, checksum) lineage rows of ``source``: insert or update."""
    from django.utils import timezone

    from .models import SourceRecord

    now = timezone.now()
    objs = [
        SourceRecord(source=source, external_id=str(ext), title_id=t, checksum=c, last_run_id=run_id, updated_at=now)
        for ext, t, c in rows
    ]
    SourceRecord.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["source", "external_id"],
        update_fields=["title", "checksum", "last_run", "updated_at"],
    )


def source_records(source: str, external_ids: Iterable) -> dict[str, tuple[int, str]]:
    """{external_id: (title_id, checksum)} of the given records already imported from ``source``."""
    from .models import SourceRecord

    ids = sorted({str(ext) for ext in external_ids})
    found = {}
    for qs in filter_in(SourceRecord.objects.filter(source=source), "external_id", ids):
        for ext, title_id, checksum in qs.values_list("external_id", "title_id", "checksum"):
            found[ext] = (title_id, checksum)
    return found


# Facts a title keeps once it has them (a platform or TMDB import, or a curator, may have set them);
# the IMDb rating and votes belong to the IMDb data and follow it.
FILLED_WHEN_EMPTY = ("runtime_minutes", "maturity_rating", "budget")
FOLLOWED = ("imdb_rating", "imdb_votes")


@transaction.atomic
def update_film_facts(facts: Mapping[int, object]) -> int:
    """Write runtime, MPAA rating, budget and IMDb rating and votes (``demo_facts.FilmFacts`` by
    title id) where they change something; returns how many titles changed (0 on a second run)."""
    changed = []
    for title in Title.objects.filter(pk__in=list(facts)).only("pk", *FILLED_WHEN_EMPTY, *FOLLOWED):
        new = facts[title.pk]
        before = [getattr(title, name) for name in FILLED_WHEN_EMPTY + FOLLOWED]
        for name in FILLED_WHEN_EMPTY:
            if getattr(title, name) in (None, "") and getattr(new, name) not in (None, ""):
                setattr(title, name, getattr(new, name))
        for name in FOLLOWED:
            setattr(title, name, getattr(new, name))
        if [getattr(title, name) for name in FILLED_WHEN_EMPTY + FOLLOWED] != before:
            changed.append(title)
    Title.objects.bulk_update(changed, FILLED_WHEN_EMPTY + FOLLOWED, batch_size=1000)
    return len(changed)


# --- A person's streaming services ("my services"; reads in ``catalog.my_services``) ------------------


def set_streaming_services(*, user, slugs) -> list[Platform]:
    """Store the platforms ``user`` has, given by slug; every list keeps to them from the next request
    (the user's revision moves, so no kept list of theirs is read again). An unknown slug is refused
    with a ``ValidationError`` naming it, and nothing is changed."""
    wanted = list(dict.fromkeys(str(slug).strip() for slug in slugs))
    found = {platform.slug: platform for platform in Platform.objects.filter(slug__in=wanted)}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        names = ", ".join(f'"{slug}"' for slug in unknown)
        # No params: Django would %-format the message with them, and a slug may hold a "%".
        raise ValidationError(f"Unknown platform {names}: choose among the slugs of GET /api/v1/platforms/.", code="unknown_platform")
    with transaction.atomic():
        services, _ = StreamingServices.objects.select_for_update().get_or_create(user=user)
        services.platforms.set([found[slug] for slug in wanted])
        services.save(update_fields=["updated_at"])
    user_changed(user.pk)
    return sorted(found.values(), key=lambda platform: platform.name)


def set_services_everything(*, user, everything: bool) -> None:
    """The switch on the lists: ``everything`` includes titles on every platform, else the lists keep
    to the user's services."""
    StreamingServices.objects.update_or_create(user=user, defaults={"everything": bool(everything)})
    user_changed(user.pk)
