"""Throttling per scope: DRF's throttles, counting in the shared cache (``streamrec.cache``), so
the budgets hold for the whole site however many web processes serve it. Rates come from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, read on each request (so settings overrides apply at
once). A throttled request gets 429 with ``Retry-After``: the whole seconds until the oldest request
of the window leaves it.

Scopes: ``anon`` (per IP), ``user`` (per account), and per-view scopes set with ``throttle_scope``:
``auth`` (sign-in and sign-up, per IP: stricter, against password guessing) and ``sync`` (bulk
rating upload). The login and sign-up pages spend the same ``auth`` budget (``page_throttle_wait``).

The client IP is REMOTE_ADDR, or the address the ``NUM_PROXIES`` trusted proxies put in
X-Forwarded-For: a header the client sets itself never chooses the budget.
"""
import hashlib
import math

from rest_framework import throttling
from rest_framework.settings import api_settings

from .cache import shared


class RatesFromSettings:
    cache = shared

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


class _AddressThrottle(RatesFromSettings, throttling.SimpleRateThrottle):
    """A budget per email address (hashed: no address appears in a cache key)."""

    def __init__(self, scope: str, address: str):
        self.scope = scope
        self.address_digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:32]
        super().__init__()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.address_digest}


def address_allows(scope: str, address: str) -> bool:
    """Count one more mail to ``address`` against ``scope``'s rate; False once it is spent."""
    return _AddressThrottle(scope, address).allow_request(None, None)
