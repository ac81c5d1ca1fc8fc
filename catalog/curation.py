"""Curators' writes to the catalog (the admin's actions): hiding or showing titles, and merging
duplicate titles into one."""
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from streamrec.cache import catalog_changed

from .models import Genre, Title


def set_titles_active(title_ids: Iterable[int], active: bool) -> int:
    """Show or hide titles; an inactive title vanishes from the site, the API and recommendations.

    Returns how many titles changed state.
    """
    title_ids = list(title_ids)
    changed = Title.objects.filter(pk__in=title_ids).exclude(is_active=active).update(is_active=active)
    catalog_changed()
    return changed


@dataclass
class MergeResult:
    kept: int
    merged: list[int]
    ratings_moved: int = 0
    ratings_combined: int = 0
    watchlist_moved: int = 0
    dismissals_moved: int = 0
    availabilities_moved: int = 0
    credits_moved: int = 0


@transaction.atomic
def merge_titles(keep: Title, duplicates: Iterable[Title]) -> MergeResult:
    """Fold ``duplicates`` into ``keep`` and delete them; nothing users or imports made is lost.

    Ratings move to the kept title; where a user rated both, their most recent rating is kept.
    Watchlist entries and dismissals move (one per user). Availabilities, credits, genres,
    countries, companies, keywords, import lineage and TMDB details move; external ids the kept
    title lacks are taken over. The kept title stays active if any of the merged titles was.
    """
    from ratings.models import Dismissal, Rating, WatchlistEntry

    from .models import Availability, Credit, SourceRecord, TitleCompany, TitleCountry, TitleDetails, TitleKeyword

    keep = Title.objects.select_for_update().get(pk=keep.pk)
    dupes = list(Title.objects.select_for_update().filter(pk__in=[t.pk for t in duplicates]).exclude(pk=keep.pk).order_by("pk"))
    result = MergeResult(kept=keep.pk, merged=[t.pk for t in dupes])
    if not dupes:
        return result
    dupe_ids = result.merged

    # Ratings: one per user; the most recently changed one wins.
    kept_ratings = {r.user_id: r for r in Rating.objects.select_for_update().filter(title=keep)}
    for rating in Rating.objects.select_for_update().filter(title_id__in=dupe_ids).order_by("updated_at", "pk"):
        mine = kept_ratings.get(rating.user_id)
        if mine is None:
            rating.title = keep
            rating.save(update_fields=["title"])
            kept_ratings[rating.user_id] = rating
            result.ratings_moved += 1
        else:
            if rating.updated_at > mine.updated_at:
                mine.score, mine.updated_at = rating.score, rating.updated_at
            mine.created_at = min(mine.created_at, rating.created_at)
            mine.save(update_fields=["score", "created_at", "updated_at"])
            rating.delete()
            result.ratings_combined += 1

    def move_per_user(model, date_field: str) -> int:
        moved = 0
        kept = {row.user_id: row for row in model.objects.filter(title=keep)}
        for row in model.objects.filter(title_id__in=dupe_ids).order_by(date_field, "pk"):
            if row.user_id in kept:
                mine = kept[row.user_id]
                if getattr(row, date_field) < getattr(mine, date_field):
                    setattr(mine, date_field, getattr(row, date_field))
                    mine.save(update_fields=[date_field])
                row.delete()
            else:
                row.title = keep
                row.save(update_fields=["title"])
                kept[row.user_id] = row
            moved += 1
        return moved

    result.watchlist_moved = move_per_user(WatchlistEntry, "added_at")
    result.dismissals_moved = move_per_user(Dismissal, "dismissed_at")
    result.availabilities_moved = Availability.objects.filter(title_id__in=dupe_ids).update(title=keep)

    # Credits: one per person and role.
    kept_credits = set(Credit.objects.filter(title=keep).values_list("person_id", "role"))
    for credit in Credit.objects.filter(title_id__in=dupe_ids).order_by("order", "pk"):
        if (credit.person_id, credit.role) not in kept_credits:
            credit.title = keep
            credit.save(update_fields=["title"])
            kept_credits.add((credit.person_id, credit.role))
            result.credits_moved += 1
    for through, field in ((TitleCountry, "country_id"), (TitleCompany, "company_id"), (TitleKeyword, "keyword_id")):
        have = set(through.objects.filter(title=keep).values_list(field, flat=True))
        for link in through.objects.filter(title_id__in=dupe_ids):
            if getattr(link, field) not in have:
                link.title = keep
                link.save(update_fields=["title"])
                have.add(getattr(link, field))
    keep.genres.add(*Genre.objects.filter(titles__in=dupe_ids).distinct())
    SourceRecord.objects.filter(title_id__in=dupe_ids).update(title=keep)
    if not TitleDetails.objects.filter(title=keep).exists():
        details = TitleDetails.objects.filter(title_id__in=dupe_ids).order_by("title_id").first()
        if details is not None:
            values = {f.name: getattr(details, f.name) for f in TitleDetails._meta.concrete_fields if f.name != "title"}
            details.delete()
            TitleDetails.objects.create(title=keep, **values)

    # Fields the kept title lacks come from the duplicates (unique ids are released first).
    taken = {}
    for field in ("movielens_id", "tmdb_id", "imdb_id", "year", "description", "runtime_minutes", "seasons", "maturity_rating"):
        if getattr(keep, field) in (None, ""):
            for dupe in dupes:
                if getattr(dupe, field) not in (None, ""):
                    taken[field] = getattr(dupe, field)
                    break
    keep.is_active = keep.is_active or any(dupe.is_active for dupe in dupes)
    Title.objects.filter(pk__in=dupe_ids).update(movielens_id=None, tmdb_id=None, imdb_id=None)
    Title.objects.filter(pk__in=dupe_ids).delete()
    for field, value in taken.items():
        setattr(keep, field, value)
    keep.save()
    return result
