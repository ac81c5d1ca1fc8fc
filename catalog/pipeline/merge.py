"""Merging titles shown to be one work, and holding for review those that cannot be.

An external id (MovieLens links.csv tmdbId/imdbId, a TMDB id, an IMDb id) is the strongest
evidence: when one id names two titles, the import records a candidate pair and, after the batch
is loaded and in the batch's transaction, ``resolve_candidates`` decides each pair:

- the two can be one work (same kind, years at most one apart, no other id of one kind differing):
  the newer title is folded into the older one (``merge_titles``): ratings, availabilities,
  credits, watchlists, dismissals, tags, lineage … move to the survivor. A person who rated both
  keeps the newer rating; nothing else that both have is duplicated. The survivor shows the values
  of the source of higher precedence (``catalog.pipeline.resolve.precedence``), the other one fills
  its blanks, so the result is the one importing the files in the other order gives.
- otherwise the pair goes to the review list (``TitleConflict``), nothing is merged.

Every merge is recorded (``TitleMerge``, with its import run); cache revisions move for the catalog
and for every person whose ratings, watchlist or dismissals moved.
"""
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from ratings.models import Dismissal, NotSeen, Rating, Viewing, WatchEvent, WatchlistEntry
from ratings.watch_services import refresh_viewing
from streamrec.cache import catalog_changed, user_changed

from catalog.models import (Availability, Credit, GenomeScore, SourceRecord, TagApplication, Title, TitleCompany, TitleConflict,
                            TitleCountry, TitleDetails, TitleKeyword, TitleMerge)

from catalog import services
from catalog.services import chunks, filter_in

from .resolve import EXTERNAL_IDS, incompatibility, precedence

TITLE_VALUES = ("name", "year", "description", "runtime_minutes", "seasons", "maturity_rating")
# Rows that hang off a title, with the fields that make them unique per title: a row of the merged
# title whose key the survivor already has is a duplicate and is dropped, the others move.
ONE_PER_TITLE = [
    (WatchlistEntry, ("user",)),
    (Dismissal, ("user",)),
    (NotSeen, ("user",)),
    (Credit, ("person", "role")),
    (TitleCountry, ("country",)),
    (TitleCompany, ("company",)),
    (TitleKeyword, ("keyword",)),
    (Title.genres.through, ("genre",)),
    (TagApplication, ("tag", "user")),
    (GenomeScore, ("tag",)),
]
ALL_MOVE = [Availability, SourceRecord]
# Everything that points at a title is handled here; tests/test_title_merge.py checks the list is complete.
HANDLED = {m for m, _ in ONE_PER_TITLE} | set(ALL_MOVE) | {Rating, WatchEvent, Viewing, TitleDetails, TitleMerge, TitleConflict}


@dataclass(frozen=True)
class Candidate:
    """Two titles one external id names (``evidence``, e.g. "tmdb_id 9087")."""

    title_id: int
    other_id: int
    evidence: str


@dataclass
class Outcome:
    merged: list[TitleMerge]
    held: list[TitleConflict]
    # candidate -> survivor id (merged or already one title), or the conflict that holds it
    decided: dict[Candidate, object]
    folded: dict[int, int]  # merged title id -> the title it was folded into

    def final(self, title_id: int) -> int:
        """Where ``title_id`` lives now (itself unless it was merged away)."""
        while title_id in self.folded:
            title_id = self.folded[title_id]
        return title_id


def _ids(title: Title) -> dict:
    return {name: getattr(title, name) for name in EXTERNAL_IDS if getattr(title, name) not in (None, "")}


def why_not_one_work(a: Title, b: Title) -> str | None:
    reason = incompatibility(a.kind, a.year, b.kind, b.year)
    if reason:
        return reason
    ids_a, ids_b = _ids(a), _ids(b)
    for name in EXTERNAL_IDS:
        if name in ids_a and name in ids_b and ids_a[name] != ids_b[name]:
            return f"{name} differs ({ids_a[name]} / {ids_b[name]})"
    return None


def resolve_candidates(candidates: Iterable[Candidate], run=None, index=None) -> Outcome:
    """Merge or hold each candidate pair (call inside the batch's transaction). Pairs are decided in
    memory first (a title merged into another is judged as the merged whole), then every merge of
    the batch is written with a few set-based statements per table (``_write_merges``), not a
    few dozen per pair. ``index`` (the import's ``TitleIndex``) is kept current."""
    outcome = Outcome([], [], {}, {})
    candidates = list(dict.fromkeys(candidates))
    titles = Title.objects.in_bulk({pk for c in candidates for pk in (c.title_id, c.other_id)})
    originals = {pk: _snapshot(title) for pk, title in titles.items()}
    evidence: dict[int, str] = {}
    for candidate in candidates:
        a, b = outcome.final(candidate.title_id), outcome.final(candidate.other_id)
        if a == b:
            outcome.decided[candidate] = a
            continue
        if a not in titles or b not in titles:
            continue  # one of them is gone (deleted meanwhile): nothing to decide
        first, second = sorted((a, b))
        reason = why_not_one_work(titles[first], titles[second])
        if reason:
            conflict, _ = TitleConflict.objects.get_or_create(
                title_id=first, other_id=second, evidence=candidate.evidence[:200], defaults={"reason": reason[:300], "run": run}
            )
            _give_id_to_its_source(candidate.evidence, titles[a], titles[b], index)
            outcome.held.append(conflict)
            outcome.decided[candidate] = conflict
            continue
        # the older title keeps its id (and its page's address)
        _fold_values(titles[first], titles[second])
        outcome.folded[second] = first
        evidence[second] = candidate.evidence
        outcome.decided[candidate] = first
    if outcome.folded:
        moves = {loser: outcome.final(loser) for loser in outcome.folded}
        outcome.merged = _write_merges(moves, titles, originals, evidence, run)
        if index is not None:
            for loser, survivor_id in moves.items():
                survivor = titles[survivor_id]
                index.merge(loser, survivor_id, survivor.name, survivor.year, survivor.kind)
    return outcome


def merge_titles(survivor: Title, loser: Title, evidence: str, run=None) -> TitleMerge:
    """Fold ``loser`` into ``survivor`` whatever their ids say (a curator's decision) and record it."""
    with transaction.atomic():
        titles = {survivor.pk: survivor, loser.pk: loser}
        originals = {pk: _snapshot(title) for pk, title in titles.items()}
        _fold_values(survivor, loser)
        return _write_merges({loser.pk: survivor.pk}, titles, originals, {loser.pk: evidence}, run)[0]


def _snapshot(title: Title) -> dict:
    return {"name": title.name, "year": title.year, "ids": _ids(title), "fields_from": title.fields_from}


def _fold_values(survivor: Title, loser: Title) -> None:
    """In memory: the survivor shows the values of the source of higher precedence, the other fills
    its blanks; it carries both titles' ids; a title a curator hid stays hidden."""
    better, worse = (loser, survivor) if precedence(loser.fields_from) > precedence(survivor.fields_from) else (survivor, loser)
    values = {}
    for name in TITLE_VALUES:
        value = getattr(better, name)
        values[name] = value if value not in (None, "") else getattr(worse, name)
    for name, value in {**_ids(loser), **_ids(survivor)}.items():
        values[name] = value
    values["fields_from"] = better.fields_from
    values["is_active"] = survivor.is_active and loser.is_active
    for name, value in values.items():
        setattr(survivor, name, value)


# The source an id is native to: its record's title keeps the id in a conflict, whichever file came first.
NATIVE_SOURCES = {"tmdb_id": "tmdb", "movielens_id": "movielens"}


def _give_id_to_its_source(evidence: str, a: Title, b: Title, index=None) -> None:
    """In a conflict over a TMDB (or MovieLens) id, the title its own source's record describes
    holds the id, not the one a link gave it to: so the catalog does not depend on which came first."""
    name, _, text = evidence.partition(" ")
    source = NATIVE_SOURCES.get(name)
    if source is None or not text.isdigit():
        return
    value = int(text)
    native = SourceRecord.objects.filter(source=source, external_id=text, title__in=[a.pk, b.pk]).values_list("title_id", flat=True).first()
    if native is None:
        return
    owner, holder = (a, b) if native == a.pk else (b, a)
    if getattr(holder, name) != value or getattr(owner, name) not in (None, ""):
        return
    Title.objects.filter(pk=holder.pk).update(**{name: None})
    Title.objects.filter(pk=owner.pk).update(**{name: value})
    setattr(holder, name, None)
    setattr(owner, name, value)
    if index is not None:
        index.external_of.get(holder.pk, {}).pop(name, None)
        index.set_external(owner.pk, **{name: value})


def _rows_of(model, title_ids, *fields) -> list[tuple]:
    rows = []
    for qs in filter_in(model.objects.all(), "title_id", sorted(title_ids)):
        rows.extend(qs.values_list("pk", "title_id", *fields))
    return rows


def _repoint(model, field: str, moves: dict[int, int]) -> None:
    """UPDATE ``field`` from each merged title to its survivor: one executemany for the batch."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(field).column)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE {column} = %s", [(s, l) for l, s in moves.items()])


def _drop(model, pks: list[int]) -> None:
    """DELETE rows by primary key in plain SQL: whatever pointed at them has been moved already, and
    the cache revisions are moved once for the batch rather than by a signal per row."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for part in chunks(sorted(pks)):
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(part))})", part)


def _write_merges(moves: dict[int, int], titles: dict[int, Title], originals: dict[int, dict], evidence: dict[int, str],
                  run) -> list[TitleMerge]:
    """Write ``moves`` (merged title id -> survivor id): every table that points at a title, a few
    statements each for the whole batch; then the survivors' values, the merged titles' deletion,
    the records, and the cache revisions."""
    survivor_of = lambda pk: moves.get(pk, pk)  # noqa: E731
    members = set(moves) | set(moves.values())
    moved: dict[int, dict[str, int]] = {loser: {} for loser in moves}
    users: set[int] = set()

    # Ratings: one per person and survivor, the newest (the survivor's own on a tie).
    best: dict[tuple[int, int], tuple] = {}
    drop, collided = [], set()
    rows = _rows_of(Rating, members, "user_id", "updated_at")
    for pk, title_id, user_id, when in rows:
        if title_id in moves:
            users.add(user_id)
        rank = (when, title_id not in moves, -pk)
        slot = (survivor_of(title_id), user_id)
        if slot in best:
            collided.add(slot)
            drop.append(best[slot][1] if rank > best[slot][0] else pk)
        if slot not in best or rank > best[slot][0]:
            best[slot] = (rank, pk)
    kept = {pk for _, pk in best.values()}
    for pk, title_id, user_id, _ in rows:
        if title_id in moves:
            counts = moved[title_id]
            counts["ratings"] = counts.get("ratings", 0) + (pk in kept)
            if (survivor_of(title_id), user_id) in collided:
                counts["ratings_dropped_older"] = counts.get("ratings_dropped_older", 0) + 1
    _drop(Rating, drop)
    _repoint(Rating, "title", moves)
    # Watch events all move; each watcher's viewing of the survivor is made again from them.
    watched = set()
    for _, title_id, user_id in _rows_of(WatchEvent, moves, "user_id"):
        moved[title_id]["watch_events"] = moved[title_id].get("watch_events", 0) + 1
        watched.add((user_id, survivor_of(title_id)))
    _repoint(WatchEvent, "title", moves)
    Viewing.objects.filter(title_id__in=list(moves)).delete()
    for user_id, survivor in watched:
        refresh_viewing(user_id, survivor)
        users.add(user_id)
    # Rows unique per title and key: the survivor's own row wins, else the oldest.
    for model, keys in ONE_PER_TITLE:
        name = model._meta.model_name
        kept: dict[tuple, int] = {}
        drop = []
        rows = sorted(_rows_of(model, members, *(model._meta.get_field(k).attname for k in keys)),
                      key=lambda row: (row[1] in moves, row[0]))
        for pk, title_id, *key in rows:
            if title_id in moves:
                moved[title_id][name] = moved[title_id].get(name, 0) + 1
                if model in (WatchlistEntry, Dismissal):
                    users.add(key[0])
            slot = (survivor_of(title_id), *key)
            if slot in kept:
                drop.append(pk)
            else:
                kept[slot] = pk
        _drop(model, drop)
        _repoint(model, "title", moves)
    for model in ALL_MOVE:
        for pk, title_id in _rows_of(model, moves):
            moved[title_id][model._meta.model_name] = moved[title_id].get(model._meta.model_name, 0) + 1
        _repoint(model, "title", moves)
    _move_details(moves, originals)
    _repoint(TitleMerge, "survivor", moves)
    for loser, survivor in moves.items():
        _move_conflicts(survivor, loser)

    records = [
        TitleMerge(run=run, survivor_id=survivor, merged_title_id=loser, merged_name=originals[loser]["name"][:300],
                   merged_year=originals[loser]["year"], merged_ids=originals[loser]["ids"], evidence=evidence[loser][:200],
                   moved={k: v for k, v in moved[loser].items() if v})
        for loser, survivor in moves.items()
    ]
    Title.objects.filter(pk__in=list(moves)).update(**{name: None for name in EXTERNAL_IDS})  # free their ids first
    survivors = [titles[pk] for pk in set(moves.values())]
    services.update_objects(survivors, [*TITLE_VALUES, *EXTERNAL_IDS, "fields_from", "is_active", "updated_at"])
    _drop(Title, list(moves))
    TitleMerge.objects.bulk_create(records)
    catalog_changed()
    for user_id in users:
        user_changed(user_id)
    return records


def _move_details(moves: dict[int, int], originals: dict[int, dict]) -> None:
    """TMDB details: a survivor keeps the details of the member whose source ranks highest."""
    having = set(TitleDetails.objects.filter(pk__in=list(set(moves) | set(moves.values()))).values_list("pk", flat=True))
    groups: dict[int, list[int]] = {}
    for pk in having:
        groups.setdefault(moves.get(pk, pk), []).append(pk)
    drop, take = [], []
    for survivor, pks in groups.items():
        chosen = max(pks, key=lambda pk: (precedence(originals.get(pk, {}).get("fields_from", "")), pk == survivor))
        drop += [pk for pk in pks if pk != chosen]
        if chosen != survivor:
            take.append((survivor, chosen))
    _drop(TitleDetails, drop)
    if take:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(TitleDetails._meta.db_table)
            cursor.executemany(f"UPDATE {table} SET title_id = %s WHERE title_id = %s", take)


def _move_conflicts(survivor: int, loser: int) -> None:
    """Review items naming the merged title now name the survivor; one naming both is closed as merged."""
    for conflict in list(TitleConflict.objects.filter(title_id=loser)) + list(TitleConflict.objects.filter(other_id=loser)):
        pair = sorted(survivor if pk == loser else pk for pk in (conflict.title_id, conflict.other_id))
        if TitleConflict.objects.filter(title_id=pair[0], other_id=pair[1], evidence=conflict.evidence).exclude(pk=conflict.pk).exists():
            conflict.delete()
            continue
        status = TitleConflict.Status.MERGED if pair[0] == pair[1] else conflict.status
        TitleConflict.objects.filter(pk=conflict.pk).update(title_id=pair[0], other_id=pair[1], status=status)
