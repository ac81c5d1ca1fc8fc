"""Reads of ratings."""
import pandas as pd
from django.db import connection
from django.db.models import Avg, Count, QuerySet

from catalog.models import Title

from .models import Dismissal, Rating, WatchlistEntry


def ratings_frame() -> pd.DataFrame:
    """Every rating of an active title as columns user_id, title_id, score."""
    rows = Rating.objects.filter(title__is_active=True).values_list("user_id", "title_id", "score")
    return pd.DataFrame.from_records(rows.iterator(chunk_size=50_000), columns=["user_id", "title_id", "score"])


def user_ratings(user) -> QuerySet[Rating]:
    return Rating.objects.filter(user=user).select_related("title").order_by("-updated_at")


def user_scores(user) -> dict[int, float]:
    """The user's scores by title id, read fresh from the database."""
    return dict(Rating.objects.filter(user=user).values_list("title_id", "score"))


def user_taste(user) -> tuple[dict[int, float], set[int]]:
    """``user_scores(user)`` and ``dismissed_title_ids(user)`` read fresh in one database round trip.

    Every recommendation request reads both. Written in SQL because the ORM took three times as long
    to build this union as the database took to answer it.
    """
    sql = (
        f"SELECT title_id, score FROM {Rating._meta.db_table} WHERE user_id = %s "
        f"UNION ALL SELECT title_id, NULL FROM {Dismissal._meta.db_table} WHERE user_id = %s ORDER BY title_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk])
        rows = cursor.fetchall()
    scores: dict[int, float] = {}
    hidden: set[int] = set()
    for title_id, score in rows:
        if score is None:
            hidden.add(title_id)
        else:
            scores[title_id] = score
    return scores, hidden


def user_rating_of(user, title: Title) -> Rating | None:
    if not user.is_authenticated:
        return None
    return Rating.objects.filter(user=user, title=title).first()


def title_rating_stats(title: Title) -> dict:
    stats = Rating.objects.filter(title=title).aggregate(average=Avg("score"), count=Count("id"))
    return {"average": stats["average"], "count": stats["count"]}


def user_watchlist(user) -> QuerySet[WatchlistEntry]:
    return WatchlistEntry.objects.filter(user=user, title__is_active=True).select_related("title")


def dismissed_title_ids(user) -> set[int]:
    return set(Dismissal.objects.filter(user=user).values_list("title_id", flat=True))
