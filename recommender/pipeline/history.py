"""Stage 1: history lookup. What the user has rated and hidden, and their popularity dial, read
from the database."""
from dataclasses import dataclass

from django.db import connection

from ratings.models import Dismissal, Preference, Rating

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
        # One round trip for all three (a dismissal comes back with no score, the dial with no
        # title), in plain SQL: through the ORM the union of ratings and dismissals took 1.0 ms
        # in-process, this 0.36 ms, and every cache miss reads it.
        sql = (
            f"SELECT title_id, score FROM {Rating._meta.db_table} WHERE user_id = %s "
            f"UNION ALL SELECT title_id, NULL FROM {Dismissal._meta.db_table} WHERE user_id = %s "
            f"UNION ALL SELECT NULL, novelty FROM {Preference._meta.db_table} WHERE user_id = %s AND novelty IS NOT NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, user_id, user_id])
            rows = cursor.fetchall()
        ratings, dismissed, novelty = {}, set(), None
        for title_id, score in rows:
            if title_id is None:
                novelty = score
            elif score is None:
                dismissed.add(title_id)
            else:
                ratings[title_id] = score
        return History(ratings, frozenset(dismissed), novelty)
