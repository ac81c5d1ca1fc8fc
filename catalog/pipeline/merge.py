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

from django.db import transaction

from ratings.models import Dismissal, Rating, WatchlistEntry
from streamrec.cache import catalog_changed, user_changed

from catalog.models import (Availability, Credit, GenomeScore, SourceRecord, TagApplication, Title, TitleCompany, TitleConflict,
                            TitleCountry, TitleDetails, TitleKeyword, TitleMerge)

from .resolve import EXTERNAL_IDS, incompatibility, precedence

TITLE_VALUES = ("name", "year", "description", "runtime_minutes", "seasons", "maturity_rating")
# Rows that hang off a title, with the fields that make them unique per title: a row of the merged
# title whose key the survivor already has is a duplicate and is dropped, the others move.
ONE_PER_TITLE = [
    (WatchlistEntry, ("user",)),
    (Dismissal, ("user",)),
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
HANDLED = {m for m, _ in ONE_PER_TITLE} | set(ALL_MOVE) | {Rating, TitleDetails, TitleMerge, TitleConflict}


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
    """Merge or hold each candidate pair (call inside the batch's transaction). ``index`` (the
    import's ``TitleIndex``) is kept current: the merged title's keys and ids find the survivor."""
    outcome = Outcome([], [], {}, {})
    for candidate in dict.fromkeys(candidates):
        a, b = outcome.final(candidate.title_id), outcome.final(candidate.other_id)
        if a == b:
            outcome.decided[candidate] = a
            continue
        titles = Title.objects.in_bulk([a, b])
        if len(titles) < 2:
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
        survivor_id, loser_id = sorted((a, b))  # the older title keeps its id (and its page's address)
        merge = merge_titles(titles[survivor_id], titles[loser_id], candidate.evidence, run)
        outcome.folded[loser_id] = survivor_id
        outcome.merged.append(merge)
        outcome.decided[candidate] = survivor_id
        if index is not None:
            survivor = titles[survivor_id]
            index.merge(loser_id, survivor_id, survivor.name, survivor.year, survivor.kind)
    return outcome


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


def _move_unique(model, keys: tuple[str, ...], survivor: Title, loser: Title) -> tuple[int, int]:
    """Move ``loser``'s rows to ``survivor``, dropping those the survivor already has; (moved, dropped)."""
    key_fields = [model._meta.get_field(k).attname for k in keys]
    existing = set(model.objects.filter(title=survivor).values_list(*key_fields))
    rows = list(model.objects.filter(title=loser).values_list("pk", *key_fields))
    duplicates = [pk for pk, *key in rows if tuple(key) in existing]
    if duplicates:
        model.objects.filter(pk__in=duplicates).delete()
    moved = model.objects.filter(title=loser).update(title=survivor)
    return moved, len(duplicates)


def _move_ratings(survivor: Title, loser: Title) -> tuple[int, int, set[int]]:
    """A person who rated both keeps the newer rating (by when it was last set; the survivor's on a tie)."""
    theirs = {user: (pk, when) for pk, user, when in Rating.objects.filter(title=loser).values_list("pk", "user_id", "updated_at")}
    ours = {user: (pk, when) for pk, user, when in
            Rating.objects.filter(title=survivor, user_id__in=list(theirs)).values_list("pk", "user_id", "updated_at")}
    drop = [theirs[user][0] if ours[user][1] >= theirs[user][1] else ours[user][0] for user in ours]
    if drop:
        Rating.objects.filter(pk__in=drop).delete()
    moved = Rating.objects.filter(title=loser).update(title=survivor)
    return moved, len(drop), set(theirs)


def _move_conflicts(survivor: Title, loser: Title) -> None:
    """Review items naming the merged title now name the survivor; one naming both is closed as merged."""
    for conflict in list(TitleConflict.objects.filter(title=loser)) + list(TitleConflict.objects.filter(other=loser)):
        pair = sorted(survivor.pk if pk == loser.pk else pk for pk in (conflict.title_id, conflict.other_id))
        if TitleConflict.objects.filter(title_id=pair[0], other_id=pair[1], evidence=conflict.evidence).exclude(pk=conflict.pk).exists():
            conflict.delete()
            continue
        status = TitleConflict.Status.MERGED if pair[0] == pair[1] else conflict.status
        TitleConflict.objects.filter(pk=conflict.pk).update(title_id=pair[0], other_id=pair[1], status=status)


@transaction.atomic
def merge_titles(survivor: Title, loser: Title, evidence: str, run=None) -> TitleMerge:
    """Fold ``loser`` into ``survivor`` and record it; the caller has checked they can be one work."""
    users: set[int] = set()
    moved: dict[str, int] = {}
    moved["ratings"], moved["ratings_dropped_older"], raters = _move_ratings(survivor, loser)
    users |= raters
    for model, keys in ONE_PER_TITLE:
        if model in (WatchlistEntry, Dismissal):
            users |= set(model.objects.filter(title=loser).values_list("user_id", flat=True))
        count, dropped = _move_unique(model, keys, survivor, loser)
        name = model._meta.model_name
        moved[name] = count
        if dropped:
            moved[f"{name}_dropped_duplicates"] = dropped
    for model in ALL_MOVE:
        moved[model._meta.model_name] = model.objects.filter(title=loser).update(title=survivor)
    better, worse = (loser, survivor) if precedence(loser.fields_from) > precedence(survivor.fields_from) else (survivor, loser)
    if TitleDetails.objects.filter(pk=loser.pk).exists():
        if better is loser or not TitleDetails.objects.filter(pk=survivor.pk).exists():
            TitleDetails.objects.filter(pk=survivor.pk).delete()
            TitleDetails.objects.filter(pk=loser.pk).update(title=survivor)
        else:
            TitleDetails.objects.filter(pk=loser.pk).delete()
    TitleMerge.objects.filter(survivor=loser).update(survivor=survivor)
    _move_conflicts(survivor, loser)

    record = TitleMerge.objects.create(
        run=run, survivor=survivor, merged_title_id=loser.pk, merged_name=loser.name[:300], merged_year=loser.year,
        merged_ids=_ids(loser), evidence=evidence[:200], moved=moved,
    )
    for name in TITLE_VALUES:
        value = getattr(better, name)
        setattr(survivor, name, value if value not in (None, "") else getattr(worse, name))
    ids = {**_ids(loser), **_ids(survivor)}
    survivor.fields_from = better.fields_from
    survivor.is_active = survivor.is_active and loser.is_active  # a title a curator hid stays hidden
    Title.objects.filter(pk=loser.pk).update(**{name: None for name in EXTERNAL_IDS})  # free its ids first
    loser.delete()
    for name, value in ids.items():
        setattr(survivor, name, value)
    survivor.save()
    catalog_changed()
    for user_id in users:
        user_changed(user_id)
    return record
