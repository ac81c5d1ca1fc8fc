"""Reads of the catalog."""
from dataclasses import dataclass

from django.db.models import Avg, Count, F, FloatField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast

from .models import Genre, Title

# Weight of the prior in the damped (Bayesian) average: a title needs about this many ratings
# before its own average outweighs the global one.
DAMPING_RATINGS = 20


@dataclass(frozen=True)
class TitleFilters:
    search: str = ""
    genre: str = ""
    kind: str = ""


def active_titles() -> QuerySet[Title]:
    return Title.objects.filter(is_active=True)


def filter_titles(queryset: QuerySet[Title], filters: TitleFilters) -> QuerySet[Title]:
    if filters.search:
        queryset = queryset.filter(name__icontains=filters.search.strip())
    if filters.genre:
        queryset = queryset.filter(genres__name__iexact=filters.genre)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    return queryset


def search_titles(filters: TitleFilters) -> QuerySet[Title]:
    """Active titles matching ``filters`` with their genres, rating count and average."""
    return (
        filter_titles(active_titles(), filters)
        .annotate(rating_count=Count("ratings"), rating_average=Avg("ratings__score"))
        .prefetch_related(Prefetch("genres", queryset=Genre.objects.order_by("name")))
        .order_by("-rating_count", "name", "pk")
    )


def title_ids_matching(filters: TitleFilters) -> list[int]:
    return list(filter_titles(active_titles(), filters).values_list("id", flat=True))


def titles_by_id(title_ids: list[int]) -> dict[int, Title]:
    titles = active_titles().filter(pk__in=title_ids).prefetch_related("genres")
    return {title.pk: title for title in titles}


def all_genres() -> QuerySet[Genre]:
    return Genre.objects.order_by("name")


def popular_titles(
    n: int, exclude_ids=(), filters: TitleFilters = TitleFilters(), only_ids: list[int] | None = None
) -> list[tuple[Title, float]]:
    """The ``n`` best titles by damped average rating, as (title, damped average) pairs.

    ``only_ids`` restricts the candidates to those titles.
    """
    from ratings.models import Rating

    global_mean = Rating.objects.aggregate(mean=Avg("score"))["mean"] or 3.5
    candidates = filter_titles(active_titles(), filters)
    if only_ids is not None:
        candidates = candidates.filter(pk__in=only_ids)
    titles = (
        candidates
        .exclude(pk__in=list(exclude_ids))
        .annotate(rating_count=Count("ratings"), rating_total=Sum("ratings__score"))
        .filter(rating_count__gt=0)
        .annotate(
            damped=(F("rating_total") + Value(DAMPING_RATINGS * global_mean))
            / (Cast("rating_count", FloatField()) + Value(float(DAMPING_RATINGS)))
        )
        .prefetch_related("genres")
        .order_by("-damped", "pk")[:n]
    )
    return [(title, float(title.damped)) for title in titles]
