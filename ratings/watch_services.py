"""Writes to a user's watch activity: recording events (idempotent by the client's event id),
deleting one or all, pausing the history, and marking abandoned viewings.

Every write keeps the user's ``Viewing`` rows (one per title, the state the rule in
``ratings.watching`` reads) in step with their events and moves the user's cache revision, so their
lists change on the next request.
"""
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from streamrec.cache import user_changed

from . import watching
from .models import Preference, Viewing, WatchEvent, title_model

# The most events one request may carry (a client with more sends several batches).
MAX_EVENTS_PER_REQUEST = 500
# A device's clock may run a little ahead of ours; later than this is a timestamp in the future.
CLOCK_SKEW_SECONDS = 300
# Longer than any film or series season played in one go (48 h): a larger duration is an error.
MAX_DURATION_SECONDS = 172_800


@dataclass(frozen=True)
class EventInput:
    title_id: int
    event: str
    position_seconds: int
    duration_seconds: int
    client_event_id: str
    occurred_at: datetime


@dataclass
class RecordResult:
    created: int = 0
    duplicates: int = 0
    paused: bool = False


def is_paused(user) -> bool:
    return Preference.objects.filter(user=user, watch_history_paused=True).exists()


def set_history_paused(*, user, paused: bool) -> None:
    """Pause (or resume) recording ``user``'s watch events; what is recorded stays."""
    Preference.objects.update_or_create(user=user, defaults={"watch_history_paused": bool(paused), "updated_at": timezone.now()})


def validate_event(item: EventInput, now: datetime) -> dict[str, str]:
    """What is wrong with one event, by field (empty when nothing is)."""
    errors = {}
    if item.event not in WatchEvent.Kind.values:
        errors["event"] = f"event must be one of {', '.join(WatchEvent.Kind.values)}, got {item.event!r}."
    if not 0 < item.duration_seconds <= MAX_DURATION_SECONDS:
        errors["duration_seconds"] = f"duration_seconds must be from 1 to {MAX_DURATION_SECONDS}, got {item.duration_seconds}."
    elif not 0 <= item.position_seconds <= item.duration_seconds:
        errors["position_seconds"] = (f"position_seconds must be from 0 to duration_seconds ({item.duration_seconds}), "
                                      f"got {item.position_seconds}.")
    if (item.occurred_at - now).total_seconds() > CLOCK_SKEW_SECONDS:
        errors["occurred_at"] = f"occurred_at {item.occurred_at.isoformat()} is in the future."
    if not 0 < len(item.client_event_id) <= 64:
        errors["client_event_id"] = "client_event_id must have 1 to 64 characters."
    return errors


def check_events(items: list[EventInput]) -> dict[int, dict[str, str]]:
    """Errors by position in ``items`` and field: each event's own, and titles not in the catalog."""
    now = timezone.now()
    errors = {index: problems for index, item in enumerate(items) if (problems := validate_event(item, now))}
    known = set(title_model().objects.filter(pk__in={item.title_id for item in items}, is_active=True).values_list("pk", flat=True))
    for index, item in enumerate(items):
        if item.title_id not in known:
            errors.setdefault(index, {})["title"] = f"No active title with id {item.title_id}."
    return errors


class InvalidEvents(ValidationError):
    """Some events are invalid: ``by_event`` maps each one's position to its errors by field."""

    def __init__(self, by_event: dict[int, dict[str, str]]):
        self.by_event = by_event
        super().__init__([f"event {index}: {message}" for index, fields in sorted(by_event.items()) for message in fields.values()])


def record_events(*, user, items: list[EventInput]) -> RecordResult:
    """Store ``items`` for ``user`` in one transaction; an event whose ``client_event_id`` is already
    stored is a resend and is skipped. Raises ValidationError (messages by position) when any event
    is invalid, storing none. Nothing is stored while the user's history is paused."""
    if len(items) > MAX_EVENTS_PER_REQUEST:
        raise ValidationError(f"At most {MAX_EVENTS_PER_REQUEST} events per request, got {len(items)}.")
    errors = check_events(items)
    if errors:
        raise InvalidEvents(errors)
    if is_paused(user):
        return RecordResult(paused=True)
    with transaction.atomic():
        stored = set(WatchEvent.objects.filter(user=user, client_event_id__in=[i.client_event_id for i in items])
                     .values_list("client_event_id", flat=True))
        fresh = {}
        for item in items:
            if item.client_event_id not in stored:
                fresh.setdefault(item.client_event_id, item)  # the same id twice in one batch: once
        WatchEvent.objects.bulk_create(
            [WatchEvent(user=user, title_id=i.title_id, event=i.event, position_seconds=i.position_seconds,
                        duration_seconds=i.duration_seconds, client_event_id=i.client_event_id, occurred_at=i.occurred_at)
             for i in fresh.values()],
            ignore_conflicts=True)  # a concurrent resend of the same batch: the unique index keeps one
        for title_id in {i.title_id for i in fresh.values()}:
            refresh_viewing(user.pk, title_id)
    if fresh:
        user_changed(user.pk)
    return RecordResult(created=len(fresh), duplicates=len(items) - len(fresh))


def refresh_viewing(user_id: int, title_id: int, now: datetime | None = None) -> Viewing | None:
    """Make the user's viewing of one title again from their events (none left: no viewing)."""
    now = now or timezone.now()
    events = list(WatchEvent.objects.filter(user_id=user_id, title_id=title_id).order_by("occurred_at", "pk")
                  .values_list("event", "position_seconds", "duration_seconds", "occurred_at"))
    if not events:
        Viewing.objects.filter(user_id=user_id, title_id=title_id).delete()
        return None
    finished_at = max((at for event, position, duration, at in events
                       if watching.counts_as_finished(event, position, duration)), default=None)
    _, position, duration, last_at = events[-1]
    result = watching.outcome(finished=finished_at is not None, position_seconds=position,
                              duration_seconds=duration, last_event_at=last_at, now=now)
    viewing, _ = Viewing.objects.update_or_create(
        user_id=user_id, title_id=title_id,
        defaults={"position_seconds": position, "duration_seconds": duration, "last_event_at": last_at,
                  "finished_at": finished_at, "abandoned_at": now if result == watching.ABANDONED else None,
                  "implicit_score": watching.implicit_score(result)})
    return viewing


def delete_event(*, user, event_id: int) -> bool:
    """Delete one of ``user``'s events; returns whether there was one."""
    event = WatchEvent.objects.filter(user=user, pk=event_id).first()
    if event is None:
        return False
    with transaction.atomic():
        event.delete()
        refresh_viewing(user.pk, event.title_id)
    user_changed(user.pk)
    return True


def clear_history(*, user) -> int:
    """Delete every watch event and viewing of ``user``; returns how many events went."""
    with transaction.atomic():
        deleted, _ = WatchEvent.objects.filter(user=user).delete()
        Viewing.objects.filter(user=user).delete()
    user_changed(user.pk)
    return deleted


def mark_abandoned_viewings(now: datetime | None = None) -> int:
    """Mark every viewing that has become abandoned (stopped early, not resumed within a week);
    returns how many. Run by Celery beat."""
    now = now or timezone.now()
    stale = Viewing.objects.filter(finished_at__isnull=True, abandoned_at__isnull=True,
                                   last_event_at__lte=now - watching.RESUME_WINDOW)
    marked, users = 0, set()
    for viewing in stale.iterator():
        if viewing.position_seconds < watching.ABANDONED_SHARE * viewing.duration_seconds:
            with transaction.atomic():
                refresh_viewing(viewing.user_id, viewing.title_id, now)
            marked += 1
            users.add(viewing.user_id)
    for user_id in users:
        user_changed(user_id)
    return marked
