"""Throttling per scope. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, read on each
request (so settings overrides apply at once). A throttled request gets 429 with ``Retry-After``:
the whole seconds until the oldest request of the window leaves it.

Scopes: ``anon`` (per IP), ``user`` (per account), and per-view scopes set with ``throttle_scope``:
``auth`` (sign-in and sign-up, per IP: stricter, against password guessing) and ``sync`` (bulk
rating upload).
"""
import math

from rest_framework import throttling
from rest_framework.settings import api_settings


class RatesFromSettings:
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
