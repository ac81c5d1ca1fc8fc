"""What the catalog's pages and API ask of personalization, and where they get it.

Predicted stars, the "predicted for me" order and model-based similar titles come from the
recommender, an app above the catalog that the catalog never imports. Instead the setting
``CATALOG_PERSONALIZATION`` names, as a dotted module path, the implementation: a module with the
four functions below and their signatures (the project sets ``"recommender.predictions"``). Unset,
this module's own functions apply: no predictions, and popular titles sharing a genre as similar.
"""
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType

from django.conf import settings
from django.db.models import QuerySet

from .models import Title
from .selectors import popular_sharing_a_genre


@dataclass(frozen=True)
class TitleOutlook:
    """What the title page says for one user: the stars predicted for the title (None once they have
    rated it, or without a model), the liked title that added most to its score (an object with
    ``title`` and ``score``, or None), and similar titles' predicted stars by id."""

    predicted: float | None = None
    because: object | None = None
    similar_predicted: dict[int, float] = field(default_factory=dict)
    # The user's own scores of the similar titles they rated (shown instead of a prediction).
    similar_rated: dict[int, float] = field(default_factory=dict)


def personalization() -> ModuleType:
    """The implementation named by ``settings.CATALOG_PERSONALIZATION`` (this module when unset)."""
    return import_module(getattr(settings, "CATALOG_PERSONALIZATION", None) or __name__)


# --- The interface, with its neutral implementation --------------------------------------------------------


def predicted_for(user, title_ids) -> dict[int, float]:
    """``user``'s predicted rating of each of ``title_ids`` that can be predicted (none here)."""
    return {}


def ranked_for_user(user, queryset: QuerySet[Title]) -> list[tuple[int, float]]:
    """The titles of ``queryset`` the user has not rated, best predicted first, as (title id,
    predicted); empty when nothing can be predicted for the user (always here)."""
    return []


def similar_titles(title: Title, n: int = 10, platforms: tuple[str, ...] = ()) -> list[Title]:
    """Up to ``n`` titles like ``title``, on any of ``platforms`` when given (a person's services): here
    the most popular ones sharing a genre with it."""
    return popular_sharing_a_genre(title, n, platforms)


def title_outlook(user, title: Title, rated: bool, similar_ids: list[int]) -> TitleOutlook:
    """The ``TitleOutlook`` of ``title`` for ``user``, who has rated it or not (``rated``), with the
    predicted stars of the similar titles ``similar_ids`` (nothing predicted here)."""
    return TitleOutlook()
