"""Reads of ratings. A ``title`` argument is a ``catalog.models.Title`` (see ``title_model``)."""
import pandas as pd
from django.db.models import Avg, Count, QuerySet

from .models import DEFAULT_NOVELTY, Dismissal, Preference, Rating, Viewing, WatchEvent, WatchlistEntry, title_model


def active_titles() -> QuerySet:
    """The titles that may be rated, listed or dismissed: the active ones."""
    return title_model().objects.filter(is_active=True)


def ratings_frame() -> pd.DataFrame:
    """Every rating of an active title as columns user_id, title_id, score."""
    # In key order, not the model's default (newest first, ties in whatever order the database
    # returns them): a model trained twice on the same ratings is the same model.
    rows = Rating.objects.filter(title__is_active=True).order_by("user_id", "title_id").values_list("user_id", "title_id", "score")
    return pd.DataFrame.from_records(rows.iterator(chunk_size=50_000), columns=["user_id", "title_id", "score"])


def user_ratings(user) -> QuerySet[Rating]:
    return Rating.objects.filter(user=user).select_related("title").order_by("-updated_at")


def user_scores(user) -> dict[int, float]:
    """The user's scores by title id, read fresh from the database."""
    return dict(Rating.objects.filter(user=user).values_list("title_id", "score"))


def user_rating_of(user, title) -> Rating | None:
    if not user.is_authenticated:
        return None
    return Rating.objects.filter(user=user, title=title).first()


def title_rating_stats(title) -> dict:
    stats = Rating.objects.filter(title=title).aggregate(average=Avg("score"), count=Count("id"))
    return {"average": stats["average"], "count": stats["count"]}


def user_watchlist(user) -> QuerySet[WatchlistEntry]:
    return WatchlistEntry.objects.filter(user=user, title__is_active=True).select_related("title")


def dismissed_title_ids(user) -> set[int]:
    return set(Dismissal.objects.filter(user=user).values_list("title_id", flat=True))


def novelty_of(user) -> float:
    """Where ``user``'s popular (0) <-> lesser-known (1) dial sits (the default until they move it)."""
    chosen = Preference.objects.filter(user=user).values_list("novelty", flat=True).first()
    return chosen if chosen is not None else DEFAULT_NOVELTY


def watch_events(user) -> QuerySet[WatchEvent]:
    """The user's watch events, newest first."""
    return WatchEvent.objects.filter(user=user).select_related("title").order_by("-occurred_at", "-pk")


def continue_watching(user, limit: int) -> list[Viewing]:
    """Titles the user started and has neither finished nor abandoned, most recently watched first."""
    return list(Viewing.objects.filter(user=user, finished_at__isnull=True, abandoned_at__isnull=True, title__is_active=True)
                .select_related("title").order_by("-last_event_at")[:limit])


def watch_history_paused(user) -> bool:
    return Preference.objects.filter(user=user, watch_history_paused=True).exists()


def known_title_count(user) -> int:
    """How many titles the recommender knows the user's taste of: rated, or watched (a viewing
    that reads as stars, ``ratings.watching``) without a rating."""
    watched = Viewing.objects.filter(user=user, implicit_score__isnull=False).exclude(title__ratings__user=user).count()
    return Rating.objects.filter(user=user).count() + watched
