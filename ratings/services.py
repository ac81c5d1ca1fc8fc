"""Writes to ratings, and the accounts that own them."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Title

from .models import ALLOWED_SCORES, MAX_SCORE, MIN_SCORE, Rating

User = get_user_model()

# Accounts created for people in imported rating dumps: they own ratings but cannot log in.
IMPORTED_USERNAME_PREFIX = "movielens-"


def validate_score(score) -> float:
    """Return ``score`` as a float if it is a half star from 0.5 to 5.0, else raise ValidationError."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        raise ValidationError(f"Score must be a number, got {score!r}.", code="invalid") from None
    if value not in ALLOWED_SCORES:
        raise ValidationError(
            f"Score must be between {MIN_SCORE} and {MAX_SCORE} in half steps, got {score!r}.", code="invalid"
        )
    return value


def rate_title(*, user, title: Title, score) -> tuple[Rating, bool]:
    """Create or change ``user``'s rating of ``title``; returns the rating and whether it is new."""
    value = validate_score(score)
    if not title.is_active:
        raise ValidationError("This title is no longer in the catalog.", code="inactive")
    now = timezone.now()
    rating, created = Rating.objects.update_or_create(
        user=user, title=title, defaults={"score": value, "updated_at": now}, create_defaults={"score": value, "created_at": now, "updated_at": now}
    )
    return rating, created


def remove_rating(*, user, title: Title) -> bool:
    """Delete ``user``'s rating of ``title``; returns whether there was one."""
    deleted, _ = Rating.objects.filter(user=user, title=title).delete()
    return deleted > 0


def ensure_imported_raters(source_user_ids: Iterable[int], prefix: str = IMPORTED_USERNAME_PREFIX) -> dict[int, int]:
    """Return account ids for users of an imported dump, creating accounts that cannot log in."""
    wanted = {int(source_id): f"{prefix}{int(source_id)}" for source_id in source_user_ids}
    by_username = dict(User.objects.filter(username__in=wanted.values()).values_list("username", "id"))
    missing = []
    for username in sorted(set(wanted.values()) - by_username.keys()):
        user = User(username=username, is_active=True)
        user.set_unusable_password()
        missing.append(user)
    if missing:
        User.objects.bulk_create(missing, batch_size=2000, ignore_conflicts=True)
        by_username = dict(User.objects.filter(username__in=wanted.values()).values_list("username", "id"))
    return {source_id: by_username[username] for source_id, username in wanted.items()}


@dataclass(frozen=True)
class ImportedRating:
    user_id: int
    title_id: int
    score: float
    rated_at: datetime


def bulk_import_ratings(ratings: Iterable[ImportedRating], batch_size: int = 10_000) -> int:
    """Insert ratings that do not exist yet, one transaction per batch; returns how many were new.

    Existing (user, title) ratings are kept: what a person set on the site wins over a dump.
    """
    created = 0
    batch: list[Rating] = []

    def flush() -> int:
        with transaction.atomic():
            before = Rating.objects.count()
            Rating.objects.bulk_create(batch, batch_size=batch_size, ignore_conflicts=True)
            return Rating.objects.count() - before

    for item in ratings:
        score = validate_score(item.score)
        batch.append(
            Rating(user_id=item.user_id, title_id=item.title_id, score=score, created_at=item.rated_at, updated_at=item.rated_at)
        )
        if len(batch) >= batch_size:
            created += flush()
            batch = []
    if batch:
        created += flush()
    return created
