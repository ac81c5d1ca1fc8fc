"""CSRF on every form: a POST without a token is refused (403) on every URL of the site, found by
walking the URL patterns; the API refuses session-authenticated writes without the token, while
token-authenticated clients need none. Every POST form in the templates carries {% csrf_token %}."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Title
from ratings.models import Rating

from .security_urls import all_routes, fast_password_hashing

pytestmark = pytest.mark.django_db
User = get_user_model()

# Endpoints that never use the session cookie (no authentication, or tokens only): nothing for a
# forged cross-site request to ride on.
NO_SESSION_ROUTES = {
    "/api/v1/auth/register/",  # creates an account from the body; answers a token, sets no cookie
    "/api/v1/auth/token/",  # username and password in the body; answers a token, sets no cookie
    "/api/v1/ping/",
    "/api/v1/health/",
    "/api/v1/.",  # the JSON 404: refuses before authenticating
    # One-click unsubscribe (RFC 8058: mail clients POST to it from outside the site): the signed
    # token in the URL is the only credential, the session is never used.
    "/accounts/unsubscribe/<str:token>/",
}
ROUTES = [r for r in all_routes() if r.route not in NO_SESSION_ROUTES]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    fast_password_hashing(settings)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", password="r00t-Passw0rd!")


def csrf_checked(user=None) -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def is_csrf_failure(response) -> bool:
    if response.status_code != 403:
        return False
    body = response.content.decode(errors="replace")
    data = getattr(response, "data", None)  # DRF views rendered as HTML (API docs) keep the detail here
    return "CSRF" in body or "CSRF" in str(data)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.route)
def test_post_without_token_is_refused_for_a_signed_in_user(superuser, route):
    response = csrf_checked(superuser).post(route.url, {"score": "4.5", "title": "1", "password": "x"})
    assert is_csrf_failure(response), (route.url, response.status_code)


@pytest.mark.parametrize("url", ["/accounts/signup/", "/accounts/login/", "/accounts/password_reset/", "/admin/login/", "/api/v1/auth/session/login/", "/accounts/logout/"])
def test_anonymous_forms_need_a_token_too(db, url):
    """Login CSRF: no one can sign a victim in to an attacker's account, or sign them up or out."""
    assert is_csrf_failure(csrf_checked().post(url, {"username": "mallory", "password": "x", "password1": "x", "password2": "x"}))


def test_post_with_a_wrong_token_is_refused(superuser):
    client = csrf_checked(superuser)
    client.get("/accounts/me/")
    title = Title.objects.create(name="Heat", year=1995)
    response = client.post(f"/ratings/{title.pk}/", {"score": "4.5", "csrfmiddlewaretoken": "x" * 32})
    assert is_csrf_failure(response) and not Rating.objects.exists()


def test_post_with_the_token_goes_through(superuser):
    client = csrf_checked(superuser)
    client.get("/accounts/me/")
    title = Title.objects.create(name="Heat", year=1995)
    response = client.post(f"/ratings/{title.pk}/", {"score": "4.5", "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302 and Rating.objects.get().score == 4.5


@pytest.mark.parametrize("method,path", [("post", "me/ratings/"), ("put", "me/ratings/{t}/"), ("patch", "me/ratings/{t}/"), ("delete", "me/ratings/{t}/"),
                                         ("post", "me/ratings/sync/"), ("post", "me/watchlist/"), ("delete", "me/watchlist/{t}/"),
                                         ("post", "me/not-interested/"), ("delete", "me/not-interested/{t}/"), ("post", "auth/logout/")])
def test_api_with_session_auth_enforces_csrf(superuser, method, path):
    title = Title.objects.create(name="Heat", year=1995)
    Rating.objects.create(user=superuser, title=title, score=3.0)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = getattr(client, method)(f"/api/v1/{path.format(t=title.pk)}", {"title": title.pk, "score": 1.0, "changes": []}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert Rating.objects.get().score == 3.0


def test_api_with_session_auth_and_the_token_header_works(superuser):
    title = Title.objects.create(name="Heat", year=1995)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(superuser)
    client.get("/accounts/me/")
    response = client.post("/api/v1/me/ratings/", {"title": title.pk, "score": 4.0}, format="json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 201


def test_api_with_token_auth_needs_no_csrf_token(superuser):
    title = Title.objects.create(name="Heat", year=1995)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=superuser).key}")
    assert client.post("/api/v1/me/ratings/", {"title": title.pk, "score": 4.0}, format="json").status_code == 201
    assert client.delete(f"/api/v1/me/ratings/{title.pk}/").status_code == 204


def test_sign_in_endpoint_sets_no_session_cookie(superuser):
    """The token endpoint skips CSRF because it never signs a browser in."""
    client = APIClient(enforce_csrf_checks=True)
    response = client.post("/api/v1/auth/token/", {"username": "root", "password": "r00t-Passw0rd!"}, format="json")
    assert response.status_code == 200 and settings.SESSION_COOKIE_NAME not in response.cookies


def template_files():
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    return sorted({p for root in roots for p in root.rglob("*.html")})


def post_forms(text: str) -> list[str]:
    return re.findall(r"<form\b(?=[^>]*method=\"?post)[^>]*>.*?</form>", text, flags=re.S | re.I)


def test_the_template_scan_finds_the_forms():
    forms = [form for path in template_files() for form in post_forms(path.read_text())]
    assert len(forms) >= 10


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_every_post_form_in_templates_has_a_csrf_token(path):
    for form in post_forms(path.read_text()):
        assert "{% csrf_token %}" in form, form[:200]


def test_no_view_is_csrf_exempt_outside_the_api():
    from django.urls import get_resolver

    exempt = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif getattr(p.callback, "csrf_exempt", False) and not (prefix + str(p.pattern)).startswith("api/"):
                exempt.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    assert exempt == ["accounts/unsubscribe/<str:token>/"]  # see NO_SESSION_ROUTES
