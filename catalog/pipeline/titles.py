"""The load step shared by every title-bearing source: classify, resolve, create/update, link, record.

Per record:
- seen before from this source with the same checksum -> unchanged (nothing is written);
- seen before with another checksum -> its title is updated with what the source says now;
- not seen before -> entity resolution: a matched title is enriched (blank fields filled, links,
  availability added: counted as updated); otherwise a new title is created.
"""
from dataclasses import dataclass, field
from datetime import date

from catalog import services
from catalog.models import Collection, Company, Title, TitleCompany, TitleCountry, TitleDetails

from .base import Batch, RunRecorder
from .merge import Candidate, resolve_candidates
from .resolve import AMBIGUOUS, MATCHED, TitleIndex, precedence

TITLE_FIELDS = ("description", "runtime_minutes", "seasons", "maturity_rating")


@dataclass
class TitleRecord:
    line: int
    external_id: str
    checksum: str
    kind: str
    name: str
    year: int | None
    fields: dict = field(default_factory=dict)  # some of TITLE_FIELDS
    external: dict = field(default_factory=dict)  # some of EXTERNAL_IDS
    genres: tuple[str, ...] = ()
    countries: tuple[tuple[str, str], ...] = ()  # (name, ISO code)
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    availability: tuple[int, str, date | None] | None = None  # (platform id, platform item id, date added)
    details: dict | None = None  # TitleDetails fields (TMDB)
    collection: tuple[int, str] | None = None
    companies: tuple[tuple[int, str], ...] = ()
    with_aka: bool = False  # MovieLens: also match the alternative title in parentheses


@dataclass
class FileContext:
    """State that lives for one file: the run, the catalog index, ids already seen in this file."""

    recorder: RunRecorder
    index: TitleIndex
    source: str
    seen: dict[str, tuple[int, str]] = field(default_factory=dict)


def _free(index: TitleIndex, title_id: int | None, external: dict) -> dict:
    """The external ids that no other title holds yet."""
    return {k: v for k, v in external.items() if v not in (None, "") and index.title_for(k, v) in (None, title_id)}


def first_occurrences(ctx: FileContext, records: list, batch: Batch) -> list:
    """The records whose external id this file has not had yet. A repeat with the same content
    counts as unchanged; a repeat with other content is rejected (which one is right is unknown)."""
    counts = batch.counts
    fresh = []
    for record in records:
        first = ctx.seen.get(record.external_id)
        if first is not None:
            if first[1] == record.checksum:
                counts.rows += 1
                counts.unchanged += 1
            else:
                batch.reject(record.line, f"duplicate id {record.external_id!r} (first on line {first[0]}) with different content")
            continue
        ctx.seen[record.external_id] = (record.line, record.checksum)
        fresh.append(record)
    return fresh


def load_title_batch(ctx: FileContext, records: list[TitleRecord], batch: Batch) -> None:
    """Write ``records`` and record ``batch`` in one transaction."""
    index = ctx.index
    counts = batch.counts
    fresh: list[TitleRecord] = first_occurrences(ctx, records, batch)

    known = services.source_records(ctx.source, (r.external_id for r in fresh))
    provisional: dict[int, int] = {}  # id(record) -> provisional (negative) title id
    create: list[TitleRecord] = []
    update: list[tuple[TitleRecord, int, bool]] = []  # (record, title id, overwrite)
    for record in fresh:
        counts.rows += 1
        previous = known.get(record.external_id)
        if previous is not None and previous[0] in index.external_of:
            if previous[1] == record.checksum:
                counts.unchanged += 1
            else:
                counts.updated += 1
                update.append((record, previous[0], True))
            continue
        resolution = index.resolve(
            name=record.name, year=record.year, kind=record.kind, with_aka=record.with_aka, directors=record.directors, **record.external
        )
        if resolution.outcome == MATCHED:
            counts.matched += 1
            counts.updated += 1
            update.append((record, resolution.title_id, False))
        else:
            counts.new += 1
            counts.created += 1
            # Later records of this batch must find this title too: index it under a provisional id.
            provisional[id(record)] = -(len(provisional) + 1)
            index.add(
                provisional[id(record)], record.name, record.year, record.kind, with_aka=record.with_aka, directors=record.directors,
                **_free(index, None, record.external),
            )
            if resolution.outcome == AMBIGUOUS:
                counts.ambiguous += 1
                batch.ambiguous.append(
                    f"line {record.line}: {record.name!r} ({record.year}, {record.kind}) matches titles {list(resolution.candidates)}; created a new one"
                )
            create.append(record)

    def write() -> None:
        title_of: dict[int, int] = {}  # id(record) -> title id
        new_titles = []
        for record in create:
            external = _free(index, provisional[id(record)], record.external)
            new_titles.append(Title(kind=record.kind, name=record.name[:300], year=record.year, fields_from=ctx.source,
                                    **record.fields, **external))
        Title.objects.bulk_create(new_titles, batch_size=1000)
        real_id: dict[int, int] = {}
        for record, title in zip(create, new_titles):
            title_of[id(record)] = title.pk
            real_id[provisional[id(record)]] = title.pk
            index.rekey(provisional[id(record)], title.pk)

        if update:
            update[:] = [(record, real_id.get(title_id, title_id), overwrite) for record, title_id, overwrite in update]
            existing = Title.objects.in_bulk([title_id for _, title_id, _ in update])
            changed_fields: set[str] = set()
            changed: dict[int, Title] = {}
            for record, title_id, overwrite in update:
                title = existing[title_id]
                title_of[id(record)] = title_id
                values = dict(record.fields)
                # The source of higher precedence sets the values whatever the import order; a
                # lower one fills blanks. A changed record of the source a title came from is one.
                outranks = precedence(ctx.source) >= precedence(title.fields_from)
                if outranks:
                    values.update(name=record.name[:300], year=record.year)
                    if overwrite:
                        values.update(kind=record.kind)
                    if title.fields_from != ctx.source:
                        title.fields_from = ctx.source
                        changed_fields.add("fields_from")
                        changed[title_id] = title
                for name, value in values.items():
                    if value in (None, ""):
                        continue
                    current = getattr(title, name)
                    if current != value and (outranks or current in (None, "")):
                        setattr(title, name, value)
                        changed_fields.add(name)
                        changed[title_id] = title
                for name, value in _free(index, title_id, record.external).items():
                    if getattr(title, name) in (None, ""):
                        setattr(title, name, value)
                        changed_fields.add(name)
                        changed[title_id] = title
                        index.set_external(title_id, **{name: value})
                index.add(title_id, title.name, title.year, title.kind, with_aka=record.with_aka, directors=record.directors)
            if changed:
                # Rows differ in which fields changed; writing the union of them is still exact.
                services.update_objects(list(changed.values()), sorted(changed_fields | {"updated_at"}))

        written = create + [record for record, _, _ in update]
        _write_links(written, title_of)
        avail = [(r.availability[0], title_of[id(r)], r.availability[1], r.availability[2]) for r in written if r.availability]
        if avail:
            services.upsert_availabilities(avail)
        services.upsert_source_records(ctx.source, [(r.external_id, title_of[id(r)], r.checksum) for r in written], ctx.recorder.run.pk)
        merge_on_shared_ids(ctx, batch, [(r.external, title_of[id(r)]) for r in written])

    ctx.recorder.commit(batch, write)


def merge_on_shared_ids(ctx: FileContext, batch: Batch, written: list[tuple[dict, int]]):
    """The resolution step after a batch's load: an id of a record that another title holds shows
    the two to be one work (merged) or an id conflict (held for review). Returns the outcome."""
    candidates = [
        Candidate(holder, title_id, f"{name} {value}")
        for external, title_id in written
        for name, value in external.items()
        if (holder := ctx.index.title_for(name, value)) not in (None, title_id)
    ]
    if not candidates:
        return None
    outcome = resolve_candidates(candidates, ctx.recorder.run, ctx.index)
    batch.counts.merged += len(outcome.merged)
    batch.counts.held += len(outcome.held)
    return outcome


def _write_links(records: list[TitleRecord], title_of: dict[int, int]) -> None:
    genre_ids = services.ensure_genres(g for r in records for g in r.genres)
    services.add_links(
        Title.genres.through, "genre", ((title_of[id(r)], genre_ids[g]) for r in records for g in r.genres if g in genre_ids)
    )
    countries = [c for r in records for c in r.countries]
    if countries:
        country_ids = services.ensure_countries(countries)
        services.insert_ignoring_conflicts(
            TitleCountry,
            ["title", "country", "order"],
            [
                (title_of[id(r)], country_ids[name.strip()[:100]], i)
                for r in records
                for i, (name, _) in enumerate(r.countries)
                if name.strip()
            ],
        )
    names = [n for r in records for n in (*r.directors, *r.cast)]
    if names:
        person_ids = services.ensure_people_by_name(names)
        services.add_credits(
            [(title_of[id(r)], person_ids[n[:200]], "director", i, "") for r in records for i, n in enumerate(r.directors)]
            + [(title_of[id(r)], person_ids[n[:200]], "actor", i, "") for r in records for i, n in enumerate(r.cast)]
        )
    with_details = [r for r in records if r.details is not None]
    if with_details:
        collection_ids = services.ensure_by_tmdb_id(Collection, [r.collection for r in with_details if r.collection])
        TitleDetails.objects.bulk_create(
            [
                TitleDetails(
                    title_id=title_of[id(r)],
                    collection_id=collection_ids.get(r.collection[0]) if r.collection else None,
                    **r.details,
                )
                for r in {title_of[id(r)]: r for r in with_details}.values()
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["title"],
            update_fields=[*with_details[0].details.keys(), "collection"],
        )
        companies = [c for r in with_details for c in r.companies]
        if companies:
            company_ids = services.ensure_by_tmdb_id(Company, companies)
            services.add_links(
                TitleCompany, "company", ((title_of[id(r)], company_ids[c]) for r in with_details for c, _ in r.companies)
            )


@dataclass
class EnrichmentRecord:
    """A record that adds to a title already in the catalog (TMDB credits/keywords, MovieLens links)."""

    line: int
    external_id: str
    checksum: str
    title_id: int
    payload: object


def load_enrichment_batch(ctx: FileContext, records: list[EnrichmentRecord], batch: Batch, write) -> None:
    """Like ``load_title_batch`` for records that only add to known titles: unchanged records are
    skipped, the others go to ``write(records, batch)`` (which may reject some by raising nothing and
    returning {id(record): reason}, and may merge titles: it then points the records at the survivors); all in one transaction with the run's counters."""
    counts = batch.counts
    fresh = first_occurrences(ctx, records, batch)
    known = services.source_records(ctx.source, (r.external_id for r in fresh))
    changed = []
    for record in fresh:
        previous = known.get(record.external_id)
        if previous is not None and previous[1] == record.checksum and previous[0] == record.title_id:
            counts.rows += 1
            counts.unchanged += 1
        else:
            changed.append(record)

    def run_write() -> None:
        refused = write(changed, batch) or {}
        accepted = []
        for record in changed:
            if id(record) in refused:
                batch.reject(record.line, refused[id(record)])
            else:
                counts.rows += 1
                counts.updated += 1
                accepted.append(record)
        services.upsert_source_records(ctx.source, [(r.external_id, r.title_id, r.checksum) for r in accepted], ctx.recorder.run.pk)

    ctx.recorder.commit(batch, run_write)
