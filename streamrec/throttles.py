"""Throttling per scope. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, read on each
request (so settings overrides apply at once). A throttled request gets 429 with ``Retry-After``:
the whole seconds until the oldest request of the window leaves it.

Scopes: ``anon`` (per IP), ``user`` (per account), and per-view scopes set with ``throttle_scope``:
``auth`` (sign-in and sign-up, per IP: stricter, against password guessing) and ``sync`` (bulk
rating upload). The login and sign-up pages spend the same ``auth`` budget (``page_throttle_wait``).

Scoped counters (``auth``, ``sync``) are bounds that must hold for the whole site: they live in the
``throttle`` cache, a database table shared by every web process (with a per-process cache, N
processes would grant N times the budget). The general ``anon`` and ``user`` rates only smooth
traffic; they stay in each process's memory (free, where a shared counter costs about 1.5 ms of
database round trips on every API call), so their site-wide ceiling is the rate times the number of
web processes. They are kept as plain lists (``ProcessHistories``), not in a ``LocMemCache``, which
pickles every value on each read and write.

The client IP is REMOTE_ADDR, or the address the ``NUM_PROXIES`` trusted proxies put in
X-Forwarded-For: a header the client sets itself never chooses the budget.
"""
import math
import threading
import time

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings


class ProcessHistories:
    """Request histories of the per-process throttles, in this process's memory: the part of the
    cache interface DRF's throttles use (``get``, ``set``)."""

    # Clients seen within a throttle window; past it, expired histories are dropped, and all of them
    # if none had expired (these rates only smooth traffic, and a set must stay cheap).
    MAX_KEYS = 100_000

    def __init__(self):
        self._lock = threading.Lock()
        self._histories: dict[str, tuple[float, list[float]]] = {}  # key -> (monotonic expiry, history)

    def get(self, key: str, default=None):
        kept = self._histories.get(key)
        if kept is None or kept[0] <= time.monotonic():
            return default
        return list(kept[1])  # the throttle changes the list it gets

    def set(self, key: str, value: list[float], timeout: float) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._histories) >= self.MAX_KEYS:
                live = {k: kept for k, kept in self._histories.items() if kept[0] > now}
                self._histories = live if len(live) < self.MAX_KEYS else {}
            self._histories[key] = (now + timeout, list(value))

    def clear(self) -> None:
        with self._lock:
            self._histories.clear()


process_histories = ProcessHistories()


class RatesFromSettings:
    shared = False  # True: counters in the database ("throttle" cache), else in this process's memory

    @property
    def cache(self):
        return caches["throttle"] if self.shared else process_histories

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def wait(self):
        if not self.history:
            return float(self.duration)
        return float(max(1, math.ceil(self.duration - (self.now - self.history[-1]))))


class AnonThrottle(RatesFromSettings, throttling.AnonRateThrottle):
    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class UserThrottle(RatesFromSettings, throttling.UserRateThrottle):
    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class ScopedThrottle(RatesFromSettings, throttling.ScopedRateThrottle):
    """Applies to views with ``throttle_scope``. The ``auth`` scope counts per client IP even for a
    signed-in client, so tokens cannot be used to get more password guesses."""

    shared = True

    def get_cache_key(self, request, view):
        if self.scope == "auth":
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return super().get_cache_key(request, view)


class _PageScope:
    """What ScopedThrottle reads from a view, for a plain Django page."""

    def __init__(self, scope: str):
        self.throttle_scope = scope


def page_throttle_wait(request, scope: str = "auth") -> int | None:
    """Count this page request against ``scope``: None when allowed, else the seconds to wait."""
    throttle = ScopedThrottle()
    if throttle.allow_request(request, _PageScope(scope)):
        return None
    return int(throttle.wait())


def throttle_posts(view, scope: str = "auth"):
    """Wrap a page view (login, sign-up): each POST spends the ``scope`` budget of the client's IP,
    shared with the API's sign-in and sign-up; past it, a 429 page with ``Retry-After``."""
    from functools import wraps

    from django.template.response import TemplateResponse

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            wait = page_throttle_wait(request, scope)
            if wait is not None:
                return TemplateResponse(request, "429.html", {"retry_after": wait}, status=429, headers={"Retry-After": str(wait)})
        return view(request, *args, **kwargs)

    return wrapped
