"""Offline sync from mobile clients: a batch of rating changes made without a connection, applied
in one transaction, newest change winning."""
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from streamrec.cache import user_changed

from .models import Rating
from .selectors import active_titles
from .services import validate_score

User = get_user_model()


@dataclass(frozen=True)
class SyncChange:
    """One change a client made offline: ``score`` None removes the rating; ``changed_at`` is when."""

    title_id: int
    score: float | None
    changed_at: datetime | None = None


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    stale: int = 0
    outcomes: list[tuple[int, str]] | None = None  # (title id, created|updated|deleted|unchanged|stale) per change


SYNC_MAX_CHANGES = 500


def apply_sync_change(rating: Rating | None, score, when) -> str:
    """Apply one offline change to the existing ``rating`` (None: there is none) if it is not older
    than the rating's last change; returns the outcome."""
    if score is None:
        if rating is None:
            return "unchanged"
        if rating.updated_at > when:
            return "stale"
        rating.delete()
        return "deleted"
    if rating.score == float(score):
        return "unchanged"
    if rating.updated_at > when:
        return "stale"
    rating.score, rating.updated_at = float(score), when
    rating.save(update_fields=["score", "updated_at"])
    return "updated"


@transaction.atomic
def sync_ratings(*, user, changes: list[SyncChange]) -> SyncResult:
    """Apply a batch of offline rating changes of ``user`` in one transaction; idempotent.

    A rating is created, changed (when the score differs) or removed (``score`` None). The newest
    change wins: a change made before the rating was last changed on the server is ``stale`` and
    skipped. A change dated in the future counts as made now. Within a batch the last change of a
    title wins. Replaying the same batch changes nothing (every change then comes back
    ``unchanged``, or ``stale`` if the server moved on). Every title must be active, every score
    a half star, or nothing is written (ValidationError keyed by the change's position).
    """
    if len(changes) > SYNC_MAX_CHANGES:
        raise ValidationError(f"At most {SYNC_MAX_CHANGES} changes per batch.", code="too_many")
    errors: dict[str, list[str]] = {}
    for index, change in enumerate(changes):
        if change.score is not None:
            try:
                validate_score(change.score)
            except ValidationError as exc:
                errors[f"{index}.score"] = exc.messages
    active = set(active_titles().filter(pk__in={c.title_id for c in changes}).values_list("pk", flat=True))
    for index, change in enumerate(changes):
        if change.title_id not in active:
            errors[f"{index}.title"] = [f"No active title with id {change.title_id}."]
    if errors:
        raise ValidationError(errors)

    # One sync per user at a time: two batches arriving together (a retrying phone, two devices)
    # would both find no row and both insert. The next one waits here, then sees what this one wrote
    # (FOR NO KEY UPDATE: rating writes referencing the user are not blocked).
    list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True))
    now = timezone.now()
    latest: dict[int, SyncChange] = {}
    for change in changes:
        latest.pop(change.title_id, None)
        latest[change.title_id] = change
    existing = {
        rating.title_id: rating
        for rating in Rating.objects.select_for_update().filter(user=user, title_id__in=list(latest))
    }
    result = SyncResult(outcomes=[])
    for title_id, change in latest.items():
        when = min(change.changed_at or now, now)
        rating = existing.get(title_id)
        if rating is None and change.score is not None:
            try:
                with transaction.atomic():
                    Rating.objects.create(user=user, title_id=title_id, score=float(change.score), created_at=when, updated_at=when)
                outcome = "created"
            except IntegrityError:
                # A single rating (rate_title does not wait for syncs) created the row meanwhile.
                rating = Rating.objects.select_for_update().get(user=user, title_id=title_id)
                outcome = apply_sync_change(rating, change.score, when)
        else:
            outcome = apply_sync_change(rating, change.score, when)
        setattr(result, outcome, getattr(result, outcome) + 1)
        result.outcomes.append((title_id, outcome))
    if result.created or result.updated or result.deleted:
        user_changed(user.pk)
    return result
