"""Stage 1: history lookup. What the user has rated and hidden, read from the database."""
from dataclasses import dataclass

from ratings.models import Dismissal, Rating

from .types import History


@dataclass(frozen=True)
class HistoryConfig:
    """Nothing to choose yet; watch events join the history here (see the watch-activity issue)."""


class HistoryLookup:
    def __init__(self, config: HistoryConfig = HistoryConfig()):
        self.config = config

    def __call__(self, *, user_id: int | None) -> History:
        if user_id is None:
            return History()
        ratings = dict(Rating.objects.filter(user_id=user_id).values_list("title_id", "score"))
        dismissed = frozenset(Dismissal.objects.filter(user_id=user_id).values_list("title_id", flat=True))
        return History(ratings, dismissed)
