"""Reads of the catalog."""
import dataclasses
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db.models import Avg, Count, F, FloatField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from streamrec.cache import CATALOG, POPULAR_SECONDS, digest, revisions, shared

from . import search
from .models import Availability, Genre, Platform, Title, TitleDetails
from .summaries import title_summaries

# How many of the most popular titles per filter set are kept in the cache.
POPULAR_RANKED = 500
# Lists that depend on the catalog only (which titles match a filter) are kept this long at most.
CATALOG_LIST_SECONDS = 3600
# Weight of the prior in the damped (Bayesian) average: a title needs about this many ratings
# before its own average outweighs the global one.
DAMPING_RATINGS = 20


@dataclass(frozen=True)
class TitleFilters:
    search: str = ""
    genre: str = ""
    kind: str = ""
    platform: str = ""  # a Platform slug
    platforms: tuple[str, ...] = ()  # a person's services (``my_services``): titles on any of these, sorted slugs
    lesser_known: bool = False  # only titles in ``lesser_known_band``
    # Only titles new since this day: added then (up to today) to one of ``platforms``, or without
    # them to any platform or to the catalog (``titles_added_since``).
    added_since: date | None = None


def active_titles() -> QuerySet[Title]:
    return Title.objects.filter(is_active=True)


def filter_titles(queryset: QuerySet[Title], filters: TitleFilters) -> QuerySet[Title]:
    if filters.search:
        queryset = search.matching(queryset, filters.search)
    if filters.genre:
        # A subquery, not a join: listings count ratings with a join and GROUP BY, which a second
        # join could multiply.
        queryset = queryset.filter(pk__in=Title.genres.through.objects.filter(genre__name__iexact=filters.genre).values("title_id"))
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.platform:
        queryset = queryset.filter(pk__in=Availability.objects.filter(platform__slug=filters.platform).values("title_id"))
    if filters.platforms:
        queryset = queryset.filter(pk__in=titles_added_since(filters.added_since, filters.platforms))
    if filters.lesser_known:
        fewest, most = lesser_known_band()
        band = Title.objects.annotate(rating_count=Count("ratings")).filter(rating_count__gte=fewest, rating_count__lte=most)
        queryset = queryset.filter(pk__in=band.values("pk"))
    if filters.added_since and not filters.platforms:
        queryset = queryset.filter(Q(pk__in=titles_added_since(filters.added_since)) | Q(created_at__date__gte=filters.added_since))
    return queryset


def titles_added_since(since: date | None, platforms: tuple[str, ...] = ()) -> QuerySet:
    """Ids of titles on ``platforms`` (any platform when empty), added from ``since`` to today when
    given (not those announced for later): on the platform's date, or the day the availability was
    recorded when the platform gives none."""
    rows = Availability.objects.filter(platform__slug__in=platforms) if platforms else Availability.objects.all()
    if since is not None:
        dated = Q(date_added__gte=since, date_added__lte=timezone.localdate())
        undated = Q(date_added__isnull=True, created_at__date__gte=since)
        rows = rows.filter(dated | undated)
    return rows.values("title_id")


# "Lesser-known" titles: outside the most-rated LESSER_KNOWN_HEAD_SHARE of rated titles, yet rated
# often enough that a person may have seen them (LESSER_KNOWN_MIN_RATINGS). On a sparse catalog,
# where fewer than LESSER_KNOWN_POOL titles clear that (the embedded sample: none), the floor is
# lowered until that many do, never below LESSER_KNOWN_FLOOR.
LESSER_KNOWN_HEAD_SHARE = 0.2
LESSER_KNOWN_MIN_RATINGS = 20
LESSER_KNOWN_FLOOR = 5
LESSER_KNOWN_POOL = 400


def lesser_known_band() -> tuple[int, int]:
    """(fewest, most) ratings of a lesser-known active title, recomputed at most every
    ``CATALOG_LIST_SECONDS``; (1, 0), an empty band, when nothing is rated."""

    def compute() -> tuple[int, int]:
        counts = sorted(active_titles().annotate(n=Count("ratings")).filter(n__gt=0).values_list("n", flat=True), reverse=True)
        head = math.ceil(LESSER_KNOWN_HEAD_SHARE * len(counts))
        band = counts[head:]
        if not band:
            return (1, 0)
        enough = [count for count in band if count >= LESSER_KNOWN_MIN_RATINGS]
        if len(enough) >= min(LESSER_KNOWN_POOL, len(band)):
            fewest = LESSER_KNOWN_MIN_RATINGS
        else:
            fewest = max(LESSER_KNOWN_FLOOR, min(LESSER_KNOWN_MIN_RATINGS, band[min(LESSER_KNOWN_POOL, len(band)) - 1]))
        return (fewest, band[0]) if band[0] >= fewest else (1, 0)

    return shared.get_or_set(catalog_key("lesser-known-band"), compute, CATALOG_LIST_SECONDS)


def catalog_key(prefix: str, *spec) -> str:
    """A cache key for a list derived from the catalog: the current catalog revision (titles
    changed, hidden or shown anywhere make a new key) and a digest of ``spec``."""
    return f"{prefix}:{revisions(CATALOG)[CATALOG]}:{digest(*spec)}"


def title_ids_matching(filters: TitleFilters) -> np.ndarray:
    """Ids of the active titles matching ``filters``, sorted, kept in the cache under the catalog
    revision. An array rather than a list: it unpickles 25 times faster (0.004 against 0.1 ms for
    the whole catalog), and the recommendation path reads it on every cache miss."""
    return shared.get_or_set(
        catalog_key("matching-ids", filters),
        lambda: np.array(list(filter_titles(active_titles(), filters).order_by("pk").values_list("id", flat=True)), dtype=np.int64),
        CATALOG_LIST_SECONDS,
    )


def popular_ranking(filters: TitleFilters, only_ids: list[int] | None = None, exclude_ids=(), limit: int = 500) -> list[tuple[int, float]]:
    """(title id, damped average) of the best-rated active titles, best first."""
    from ratings.models import Rating

    global_mean = Rating.objects.aggregate(mean=Avg("score"))["mean"] or 3.5
    candidates = filter_titles(active_titles(), filters)
    if only_ids is not None:
        candidates = candidates.filter(pk__in=only_ids)
    ranked = (
        candidates.exclude(pk__in=list(exclude_ids))
        .annotate(rating_count=Count("ratings"), rating_total=Sum("ratings__score"))
        .filter(rating_count__gt=0)
        .annotate(
            damped=(F("rating_total") + Value(DAMPING_RATINGS * global_mean))
            / (Cast("rating_count", FloatField()) + Value(float(DAMPING_RATINGS)))
        )
        .order_by("-damped", "pk")
        .values_list("pk", "damped")[:limit]
    )
    return [(pk, float(damped)) for pk, damped in ranked]


def popular_title_ids(n: int, exclude_ids=(), filters: TitleFilters = TitleFilters()) -> list[tuple[int, float]]:
    """The ``n`` best active titles within ``filters`` by damped average, as (title id, damped
    average), none of ``exclude_ids``. The ranking for a set of filters is kept in the cache for a
    few minutes: it is the same for everybody and costs a scan of all ratings."""
    exclude = set(exclude_ids)
    ranking = shared.get_or_set(
        catalog_key("popular", dataclasses.replace(filters, genre=filters.genre.lower())),
        lambda: popular_ranking(filters, limit=POPULAR_RANKED),
        POPULAR_SECONDS,
    )
    picked = [(pk, score) for pk, score in ranking if pk not in exclude][:n]
    if len(picked) < n and len(ranking) == POPULAR_RANKED:
        # Most of the kept ranking is excluded (a user who rated or hid it): rank the rest for them.
        picked = popular_ranking(filters, exclude_ids=exclude, limit=n)
    return picked


def popular_titles(
    n: int, exclude_ids=(), filters: TitleFilters = TitleFilters(), only_ids: list[int] | None = None
) -> list[tuple[Title, float]]:
    """``popular_title_ids`` as (title, damped average) pairs; ``only_ids`` restricts the candidates
    to those titles (ranked afresh)."""
    if only_ids is None:
        picked = popular_title_ids(n, exclude_ids, filters)
    else:
        picked = popular_ranking(filters, only_ids, exclude_ids=exclude_ids, limit=n)
    titles = title_summaries([pk for pk, _ in picked])
    return [(titles[pk], score) for pk, score in picked if pk in titles]


def popular_sharing_a_genre(title: Title, n: int, platforms: tuple[str, ...] = ()) -> list[Title]:
    """The ``n`` most popular other active titles sharing a genre with ``title`` (none without genres), on
    any of ``platforms`` when given: "more like this" when no model knows the title."""
    genre_ids = list(title.genres.values_list("id", flat=True))
    if not genre_ids:
        return []
    same_genre = active_titles().filter(genres__in=genre_ids).exclude(pk=title.pk).values_list("pk", flat=True).distinct()
    return [t for t, _ in popular_titles(n, filters=TitleFilters(platforms=platforms), only_ids=list(same_genre))]


# --- API reads: browsing with ranges and ordering, title detail, catalog facts ----------------------------

TITLE_ORDERINGS = {
    "relevance": ("-search_rank", "-rating_count", "name", "pk"),  # with a search (catalog/search.py); else popular
    "popular": ("-rating_count", "name", "pk"),
    "name": ("name", "year", "pk"),
    "-name": ("-name", "-year", "-pk"),
    "year": (F("year").asc(nulls_last=True), "name", "pk"),
    "-year": (F("year").desc(nulls_last=True), "name", "pk"),
    "average": (F("rating_average").asc(nulls_last=True), "-rating_count", "pk"),
    "-average": (F("rating_average").desc(nulls_last=True), "-rating_count", "pk"),
    "-rating_count": ("-rating_count", "name", "pk"),
    "rating_count": ("rating_count", "name", "pk"),
}


@dataclass(frozen=True)
class TitleBrowse:
    """What a catalog listing asks for beyond ``TitleFilters``: year range, minimum average, order."""

    filters: TitleFilters = TitleFilters()
    year_min: int | None = None
    year_max: int | None = None
    min_average: float | None = None
    min_votes: int | None = None
    ordering: str = "popular"


# Orderings that need the rating stats of every matching title, not just of the page shown.
STATS_ORDERINGS = {"relevance", "popular", "average", "-average", "rating_count", "-rating_count"}


def rating_stats(every_title: bool) -> dict:
    """Annotations ``rating_count`` and ``rating_average``. For every title at once, one LEFT JOIN
    and GROUP BY over the ratings (4x faster than a correlated count per title on the demo data);
    for a page of titles ordered by something else, correlated subqueries, evaluated for those
    rows only. Every filter of a listing is a subquery, so no join multiplies the counts."""
    if every_title:
        return {"rating_count": Count("ratings"), "rating_average": Avg("ratings__score")}
    from ratings.models import Rating

    stats = Rating.objects.filter(title=OuterRef("pk")).order_by().values("title")
    return {
        "rating_count": Coalesce(Subquery(stats.annotate(c=Count("id")).values("c")), 0),
        "rating_average": Subquery(stats.annotate(a=Avg("score")).values("a")),
    }


def browse_titles(browse: TitleBrowse) -> QuerySet[Title]:
    """Active titles matching ``browse`` with their genres, rating count and average, in its order."""
    queryset = filter_titles(active_titles(), browse.filters)
    if browse.year_min is not None:
        queryset = queryset.filter(year__gte=browse.year_min)
    if browse.year_max is not None:
        queryset = queryset.filter(year__lte=browse.year_max)
    queryset = queryset.annotate(**rating_stats(every_title=browse.ordering in STATS_ORDERINGS
                                                or browse.min_average is not None or browse.min_votes is not None))
    if browse.min_average is not None:
        queryset = queryset.filter(rating_average__gte=browse.min_average)
    if browse.min_votes is not None:
        queryset = queryset.filter(rating_count__gte=browse.min_votes)
    ordering = browse.ordering if browse.ordering != "relevance" or browse.filters.search.strip() else "popular"
    order = TITLE_ORDERINGS.get(ordering, TITLE_ORDERINGS["popular"])
    return queryset.prefetch_related(Prefetch("genres", queryset=Genre.objects.order_by("name"))).order_by(*order)


class RankedTitles:
    """A listing in an order that needs every matching title's rating stats: the ranked ids, kept
    in the cache for ``POPULAR_SECONDS`` (computing them counts every matching title's ratings, a join and
    GROUP BY over all ratings, most of a listing's cost), and the titles of the page sliced out, read with their stats,
    genres and current state (an inactive title drops out). Paginators slice it like a queryset."""

    def __init__(self, ids: list[int]):
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: slice) -> list[Title]:
        if not isinstance(index, slice):
            raise TypeError("RankedTitles pages by slices only (one query per slice)")
        ids = self.ids[index]
        found = (
            active_titles().annotate(**rating_stats(every_title=False))
            .prefetch_related(Prefetch("genres", queryset=Genre.objects.order_by("name")))
            .in_bulk(ids)
        )
        return [found[pk] for pk in ids if pk in found]


def titles_credited_to(queryset: QuerySet[Title], person: str) -> QuerySet[Title]:
    """``queryset`` narrowed to titles crediting a person whose name contains ``person``."""
    from .models import Credit

    return queryset.filter(pk__in=Credit.objects.filter(person__name__icontains=person.strip()).values("title_id"))


def listing(browse: TitleBrowse, person: str = "") -> "QuerySet[Title] | RankedTitles":
    """What a catalog listing pages through: ``browse_titles`` (narrowed to ``person``'s titles), or,
    for an order by rating stats, its ranked ids kept in the cache (``RankedTitles``)."""
    queryset = browse_titles(browse)
    if person:
        queryset = titles_credited_to(queryset, person)
    if browse.ordering not in STATS_ORDERINGS:
        return queryset
    key = catalog_key("ranked", browse, person.strip().lower())
    return RankedTitles(shared.get_or_set(key, lambda: list(queryset.values_list("pk", flat=True)), POPULAR_SECONDS))


def title_detail(pk: int) -> Title | None:
    """One active title with stats, genres, credits (with people) and availabilities (with platforms)."""
    from .models import Availability, Credit

    return (
        browse_titles(TitleBrowse())
        .filter(pk=pk)
        .prefetch_related(
            Prefetch("credits", queryset=Credit.objects.select_related("person").order_by("role", "order", "pk")),
            Prefetch("availabilities", queryset=Availability.objects.select_related("platform").order_by("platform__name", "pk")),
        )
        .first()
    )


def title_score(title: Title) -> dict:
    """The site's score of a title (count, average, damped average) and TMDB's vote average and count."""
    from ratings.models import Rating

    stats = Rating.objects.filter(title=title).aggregate(count=Count("id"), total=Sum("score"), average=Avg("score"))
    global_mean = Rating.objects.aggregate(mean=Avg("score"))["mean"] or 3.5
    count = stats["count"] or 0
    damped = ((stats["total"] or 0.0) + DAMPING_RATINGS * global_mean) / (count + DAMPING_RATINGS)
    details = TitleDetails.objects.filter(title=title).first()
    return {
        "rating_count": count,
        "rating_average": stats["average"],
        "damped_average": round(damped, 4),
        "tmdb_vote_average": details.vote_average if details else None,
        "tmdb_vote_count": details.vote_count if details else None,
    }


def people(search: str = "", role: str = "") -> QuerySet:
    """People with their number of credits on active titles, most credited first."""
    from .models import Person

    queryset = Person.objects.all()
    if search:
        queryset = queryset.filter(name__icontains=search)
    credits = Q(credits__title__is_active=True)
    if role:
        credits &= Q(credits__role=role)
        queryset = queryset.filter(credits__role=role).distinct()
    return queryset.annotate(credit_count=Count("credits", filter=credits, distinct=True)).order_by("-credit_count", "name", "pk")


def person_filmography(person, role: str = "") -> dict:
    """A person's active titles as director and as actor: per role the count, the average of the titles'
    site ratings (each title weighs the same), the average TMDB vote, and the titles, newest first."""
    from .models import Credit

    roles = [role] if role else [Credit.Role.DIRECTOR, Credit.Role.ACTOR]
    result = {}
    for each in roles:
        titles = list(
            browse_titles(TitleBrowse(ordering="-year"))  # stats per title by subquery: the join below cannot multiply them
            .filter(credits__person=person, credits__role=each)
            .annotate(tmdb_vote_average=F("details__vote_average"))
            .order_by(F("year").desc(nulls_last=True), "name", "pk")
            .distinct()
        )
        rated = [t.rating_average for t in titles if t.rating_average is not None]
        voted = [t.tmdb_vote_average for t in titles if t.tmdb_vote_average is not None]
        result[str(each)] = {
            "count": len(titles),
            "rated_count": len(rated),
            "average_rating": round(sum(rated) / len(rated), 4) if rated else None,
            "average_tmdb_vote": round(sum(voted) / len(voted), 4) if voted else None,
            "titles": titles,
        }
    return result


def genres_with_counts() -> QuerySet[Genre]:
    return Genre.objects.annotate(title_count=Count("titles", filter=Q(titles__is_active=True))).order_by("name")


def platforms_with_counts() -> QuerySet:
    return Platform.objects.annotate(
        title_count=Count("availabilities__title", filter=Q(availabilities__title__is_active=True), distinct=True)
    ).order_by("name")
