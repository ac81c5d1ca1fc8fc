"""Writes to one user's ratings, watchlist, dismissals and preferences, and deleting their account.

Each write that changed something calls ``streamrec.cache.user_changed``: what the site keeps
derived from the user's data (their recommendations) is made again once the write commits.
Bulk rating writes are in ``ratings.bulk``, offline sync in ``ratings.sync``, CSV files in
``ratings.csv_files``.

A ``title`` argument is a ``catalog.models.Title``: ratings point at titles by their foreign keys
and never import the catalog, a layer above them.
"""
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from streamrec.cache import user_changed
from streamrec.models import LoginFailure

from .models import ALLOWED_SCORES, MAX_SCORE, MIN_SCORE, Dismissal, NotSeen, Preference, Rating, WatchlistEntry


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


def validate_novelty(value) -> float:
    """Return the popular (0) <-> lesser-known (1) dial ``value`` as a float, else raise ValidationError."""
    try:
        novelty = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"novelty must be a number from 0 to 1, got {value!r}.", code="invalid") from None
    if not 0.0 <= novelty <= 1.0:
        raise ValidationError(f"novelty must be from 0 (popular) to 1 (lesser-known), got {value!r}.", code="invalid")
    return novelty


def set_novelty(*, user, novelty) -> float:
    """Store ``user``'s popular <-> lesser-known dial; their lists follow it from the next request."""
    value = validate_novelty(novelty)
    Preference.objects.update_or_create(user=user, defaults={"novelty": value, "updated_at": timezone.now()})
    user_changed(user.pk)
    return value


def rate_title(*, user, title, score) -> tuple[Rating, bool]:
    """Create or change ``user``'s rating of ``title``; returns the rating and whether it is new.

    Safe under concurrent requests for the same user and title: one row, the last write wins.
    """
    rating, created = _write_rating(user, title, score)
    user_changed(user.pk)
    return rating, created


def _write_rating(user, title, score) -> tuple[Rating, bool]:
    value = validate_score(score)
    if not title.is_active:
        raise ValidationError("This title is no longer in the catalog.", code="inactive")
    now = timezone.now()
    existing = Rating.objects.filter(user=user, title=title)
    if existing.update(score=value, updated_at=now):
        return existing.get(), False
    try:
        with transaction.atomic():
            return Rating.objects.create(user=user, title=title, score=value, created_at=now, updated_at=now), True
    except IntegrityError:
        # Another request created it between our update and insert: ours is the later write.
        existing.update(score=value, updated_at=now)
        return existing.get(), False


def remove_rating(*, user, title) -> bool:
    """Delete ``user``'s rating of ``title``; returns whether there was one."""
    deleted, _ = Rating.objects.filter(user=user, title=title).delete()
    if deleted:
        user_changed(user.pk)
    return deleted > 0


def add_to_watchlist(*, user, title) -> bool:
    """Put ``title`` on ``user``'s watchlist; returns whether it was not there yet."""
    _, created = WatchlistEntry.objects.get_or_create(user=user, title=title)
    if created:
        user_changed(user.pk)
    return created


def remove_from_watchlist(*, user, title) -> bool:
    deleted, _ = WatchlistEntry.objects.filter(user=user, title=title).delete()
    if deleted:
        user_changed(user.pk)
    return deleted > 0


def dismiss_title(*, user, title) -> bool:
    """Mark ``title`` as not interesting for ``user``; returns whether it was new."""
    _, created = Dismissal.objects.get_or_create(user=user, title=title)
    if created:
        user_changed(user.pk)
    return created


def undo_dismissal(*, user, title) -> bool:
    deleted, _ = Dismissal.objects.filter(user=user, title=title).delete()
    if deleted:
        user_changed(user.pk)
    return deleted > 0


def _session_keys_of(user_id: int) -> list[str]:
    """The stored sessions signed in as ``user_id`` (other browsers and devices): the session table has
    no user column, so each unexpired session is decoded; account deletions are rare."""
    return [
        session.pk for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user_id)
    ]


def mark_not_seen(*, user, title) -> bool:
    """Record that ``user`` has not seen ``title`` (onboarding's one-click answer); returns whether
    it was new. Recommendations do not change: not having seen a title says nothing about it."""
    _, created = NotSeen.objects.get_or_create(user=user, title=title)
    return created


@transaction.atomic
def delete_account(user) -> int:
    """Delete ``user`` with everything held about them (ratings/personal_data.py lists it): rows that
    point at the account go with it (their foreign keys cascade); the sign-in failures kept under its
    username and its sessions on other devices are deleted here; returns how many ratings went."""
    user_id, username = user.pk, user.username  # delete() sets the instance's pk to None
    ratings, _ = Rating.objects.filter(user=user).delete()
    LoginFailure.objects.filter(username=username.lower()).delete()
    Session.objects.filter(pk__in=_session_keys_of(user_id)).delete()
    user.delete()
    user_changed(user_id)
    return ratings
