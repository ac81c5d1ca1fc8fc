"""Every URL pattern of the project, walked from the root resolver, so a page or endpoint added later
is covered by the security tests without anyone listing it; plus the short, explicit list of what
anyone may open without signing in."""
import re
from dataclasses import dataclass

from django.contrib.admindocs.views import simplify_regex
from django.urls import URLPattern, URLResolver, get_resolver

# Routes (as simplify_regex writes them) that anyone may open. A new URL missing from this list must
# refuse anonymous visitors, or the access tests fail.
PUBLIC_ROUTES = {
    "/",
    "/accounts/signup/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/<uidb64>/<token>/",
    "/accounts/reset/done/",
    # Signed links from mail (issue 21): the token in the URL is the credential.
    "/accounts/confirm-email/<str:token>/",
    "/accounts/unsubscribe/<str:token>/",
    "/titles/",
    "/titles/<int:pk>/",
    "/titles/people/<int:pk>/",
    "/insights/",
    # API: sign-up and sign-in, the catalog (read-only), facts, service endpoints, documentation.
    "/api/v1/auth/register/",
    "/api/v1/auth/token/",
    "/api/v1/auth/session/login/",
    "/api/v1/auth/session/logout/",
    "/api/v1/titles/",
    "/api/v1/titles/<pk>/",
    "/api/v1/titles/<pk>/score/",
    "/api/v1/titles/<pk>/similar/",
    "/api/v1/people/",
    "/api/v1/people/<pk>/",
    "/api/v1/genres/",
    "/api/v1/platforms/",
    "/api/v1/facts/releases-per-month/",
    "/api/v1/facts/releases-per-weekday/",
    "/api/v1/health/",
    "/api/v1/ping/",
    "/api/v1/schema/",
    "/api/v1/docs/",
    "/api/v1/redoc/",
    "/api/v1/.",  # the JSON 404 for any other path under /api/v1/
    "/admin/login/",
    "/admin/logout/",
}

# Only staff may open these (signed-in customers are refused too).
STAFF_PREFIXES = ("/staff/", "/admin/")


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "/ratings/<int:title_id>/"
    name: str | None

    @property
    def url(self) -> str:
        """A concrete URL: every parameter gets a sample value (access checks come before lookups)."""
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1) not in {"uidb64", "token", "url", "app_label"} else "x", self.route)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("/api/")

    @property
    def is_public(self) -> bool:
        return self.route in PUBLIC_ROUTES

    @property
    def is_staff_only(self) -> bool:
        return self.route.startswith(STAFF_PREFIXES) and not self.is_public


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace and (f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace) or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(simplify_regex(prefix + str(pattern.pattern)), name)


def all_routes() -> list[Route]:
    seen, routes = set(), []
    for route in _walk(get_resolver().url_patterns):
        if route.route not in seen:
            seen.add(route.route)
            routes.append(route)
    return routes


def personal_routes() -> list[Route]:
    return [r for r in all_routes() if not r.is_public]


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0] in {"/accounts/login/", "/admin/login/"}


def fast_password_hashing(settings):
    """Security tests create and sign in many accounts: a cheap hasher keeps them quick (the
    production hasher is Django's default; test_security_settings checks it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
