"""Stage 1: history lookup. What the user has rated and hidden, read from the database."""
from dataclasses import dataclass

from django.db import connection

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
        # One round trip for both (a dismissal comes back with no score), in plain SQL: through the
        # ORM the same union took 1.0 ms in-process, this 0.36 ms, and every cache miss reads it.
        sql = (
            f"SELECT title_id, score FROM {Rating._meta.db_table} WHERE user_id = %s "
            f"UNION ALL SELECT title_id, NULL FROM {Dismissal._meta.db_table} WHERE user_id = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id, user_id])
            rows = cursor.fetchall()
        ratings, dismissed = {}, set()
        for title_id, score in rows:
            if score is None:
                dismissed.add(title_id)
            else:
                ratings[title_id] = score
        return History(ratings, frozenset(dismissed))
