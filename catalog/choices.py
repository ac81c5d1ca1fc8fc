"""The choices filter forms offer (kind, genre, platform, decade): only those with active titles
behind them, so no choice leads to an empty list (the embedded demo has no series: no "Series").
Kept in the cache under the catalog revision: an import or a title hidden or shown changes them."""
from dataclasses import dataclass

from django.db.models import Count, Q

from streamrec.cache import shared

from .models import Genre, Platform, Title
from .selectors import CATALOG_LIST_SECONDS, active_titles, catalog_key


@dataclass(frozen=True)
class FilterChoices:
    kinds: list[tuple[str, str]]  # (value, label); the form shows a kind choice only when there are two
    genres: list[Genre]
    platforms: list[Platform]
    decades: list[int]  # 1990 for the 1990s


def filter_choices() -> FilterChoices:
    def compute() -> FilterChoices:
        titles = active_titles()
        kinds = set(titles.values_list("kind", flat=True).distinct())
        years = titles.filter(year__isnull=False).values_list("year", flat=True).distinct()
        return FilterChoices(
            kinds=[(value, label) for value, label in Title.Kind.choices if value in kinds],
            genres=list(Genre.objects.annotate(n=Count("titles", filter=Q(titles__is_active=True))).filter(n__gt=0).order_by("name")),
            platforms=list(Platform.objects.annotate(n=Count("availabilities", filter=Q(availabilities__title__is_active=True)))
                           .filter(n__gt=0).order_by("name")),
            decades=sorted({year // 10 * 10 for year in years}),
        )

    return shared.get_or_set(catalog_key("filter-choices"), compute, CATALOG_LIST_SECONDS)
