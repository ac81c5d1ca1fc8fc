"""Revisions: how copies kept in one process's memory learn that the database changed.

A write that makes such copies wrong calls ``bump(name)``: this process drops its copies at once,
and again when the write's transaction commits, and the named counter then moves on in the
database (after the commit, in a statement of its own: no lock is held while the writer's
transaction runs). Every process reads the counters at most every ``RECHECK_SECONDS`` and drops
its copies when a counter has moved, so a change made anywhere reaches every process within that
time. A reader that fills a copy takes ``epoch()`` before reading the database and keeps what it
read only if the epoch is unchanged: a drop while it read means its read may predate the change.
"""
import threading
import time
from collections.abc import Callable

from django.db import transaction
from django.db.models import F

from .models import Revision

RECHECK_SECONDS = 2.0

_lock = threading.RLock()
_seen: dict[str, int] = {}
_next_check = 0.0
_epoch = 0
_on_change: dict[str, list[Callable[[], None]]] = {}


def on_change(name: str, forget: Callable[[], None]) -> None:
    """Call ``forget`` whenever revision ``name`` moves (here, or in another process)."""
    _on_change.setdefault(name, []).append(forget)


def epoch() -> int:
    """A number that changes whenever this process drops copies (see the module's docstring)."""
    return _epoch


def _notify(name: str) -> None:
    global _epoch
    with _lock:
        _epoch += 1
        for forget in _on_change.get(name, []):
            forget()


def _move(name: str) -> None:
    if not Revision.objects.filter(name=name).update(number=F("number") + 1):
        Revision.objects.get_or_create(name=name, defaults={"number": 1})
    _notify(name)


def bump(name: str) -> None:
    _notify(name)
    # robust: the write has committed; a failure to move the counter is logged, not the request's error
    transaction.on_commit(lambda: _move(name), robust=True)


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
        for name in [name for name in _on_change if numbers.get(name, 0) != _seen.get(name, 0)]:
            _notify(name)
        _seen.clear()
        _seen.update(numbers)
        _next_check = now + RECHECK_SECONDS


def seen(name: str) -> int:
    """Revision ``name``'s number as this process last read it (``check``): a copy made from what
    this process keeps may be shared with other processes stamped with it, and is current only
    while the database's number is still the same."""
    return _seen.get(name, 0)


def recheck() -> None:
    """Make the next ``check`` read the counters (tests)."""
    global _next_check
    _next_check = 0.0
