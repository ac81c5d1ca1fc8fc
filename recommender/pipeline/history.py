"""Stage 1: history lookup. What the user has rated, watched and hidden, and their popularity dial,
read from the database."""
from dataclasses import dataclass

from django.db import connection

from ratings.models import Dismissal, Preference, Rating, Viewing

from .types import History


@dataclass(frozen=True)
class HistoryConfig:
    """Nothing to choose: how a viewing reads as stars is the rule of ``ratings.watching``."""


class HistoryLookup:
    def __init__(self, config: HistoryConfig = HistoryConfig()):
        self.config = config

    def __call__(self, *, user_id: int | None) -> History:
        if user_id is None:
            return History()
        # One round trip for all four, each row tagged with what it is, in plain SQL: through the
        # ORM the union of ratings and dismissals took 1.0 ms in-process, this 0.36 ms, and every
        # cache miss reads it.
        sql = (
            f"SELECT 'r', title_id, score FROM {Rating._meta.db_table} WHERE user_id = %s "
            f"UNION ALL SELECT 'w', title_id, implicit_score FROM {Viewing._meta.db_table} "
            f"WHERE user_id = %s AND implicit_score IS NOT NULL "
            f"UNION ALL SELECT 'd', title_id, NULL FROM {Dismissal._meta.db_table} WHERE user_id = %s "
            f"UNION ALL SELECT 'n', NULL, novelty FROM {Preference._meta.db_table} WHERE user_id = %s AND novelty IS NOT NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id] * 4)
            rows = cursor.fetchall()
        ratings, watched, dismissed, novelty = {}, {}, set(), None
        for kind, title_id, value in rows:
            if kind == "r":
                ratings[title_id] = value
            elif kind == "w":
                watched[title_id] = value
            elif kind == "d":
                dismissed.add(title_id)
            else:
                novelty = value
        # A title's own rating says more than how long the user watched it.
        implicit = {title_id: score for title_id, score in watched.items() if title_id not in ratings}
        return History({**implicit, **ratings}, frozenset(dismissed), novelty, frozenset(implicit))
