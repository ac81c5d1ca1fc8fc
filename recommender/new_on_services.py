""""New on your services for you": the titles a person's platforms added in the last
``catalog.my_services.NEW_DAYS`` days, in the person's predicted order (the recommendation pipeline's,
so rated and hidden titles never appear). One plain function, shared by the home page's row and the
weekly email digest."""
from dataclasses import replace
from datetime import date

from catalog.my_services import new_window, services_of
from catalog.selectors import TitleFilters

from .pipeline import Recommendation, RecommendationRequest, recommend


def new_on_services(user, n: int, today: date | None = None, filters: TitleFilters = TitleFilters()) -> list[Recommendation]:
    """Up to ``n`` titles added to ``user``'s services in the ``NEW_DAYS`` days before ``today`` (by
    default the newest day any of them added a title: the imported catalogs' own today), best
    predicted first, within ``filters``; empty when they chose no services or nothing was added then.
    The person's switch to everything does not apply: the row is about their services."""
    services = services_of(user)
    since = new_window(services.slugs, today) if services.chosen else None
    if since is None:
        return []
    window = replace(filters, platforms=services.slugs, added_since=since)
    return recommend(RecommendationRequest(user_id=user.pk, n=n, filters=window))
