"""Revisions: how copies kept in one process's memory learn that the database changed.

A write that makes such copies wrong calls ``bump(name)``: the named counter moves on in the
database, in the writer's transaction, and this process drops its own copies at once (receivers
of ``changed``). Every process reads the counters at most every ``RECHECK_SECONDS`` and drops its
copies when a counter has moved, so a change made anywhere reaches every process within that time.
"""
import threading
import time
from collections.abc import Callable

from django.db.models import F

from .models import Revision

RECHECK_SECONDS = 2.0

_lock = threading.Lock()
_seen: dict[str, int] = {}
_next_check = 0.0
_on_change: dict[str, list[Callable[[], None]]] = {}


def on_change(name: str, forget: Callable[[], None]) -> None:
    """Call ``forget`` whenever revision ``name`` moves (here, or in another process)."""
    _on_change.setdefault(name, []).append(forget)


def _notify(name: str) -> None:
    for forget in _on_change.get(name, []):
        forget()


def bump(name: str) -> None:
    if not Revision.objects.filter(name=name).update(number=F("number") + 1):
        Revision.objects.bulk_create([Revision(name=name, number=1)], ignore_conflicts=True)
    _notify(name)


def check() -> None:
    """Re-read the counters if ``RECHECK_SECONDS`` have passed; drop the copies of those that moved."""
    global _next_check
    now = time.monotonic()
    if now < _next_check:
        return
    with _lock:
        if now < _next_check:
            return
        numbers = dict(Revision.objects.values_list("name", "number"))
        moved = [name for name in _on_change if numbers.get(name, 0) != _seen.get(name, 0)]
        _seen.clear()
        _seen.update(numbers)
        _next_check = now + RECHECK_SECONDS
    for name in moved:
        _notify(name)


def recheck() -> None:
    """Make the next ``check`` read the counters (tests)."""
    global _next_check
    _next_check = 0.0
