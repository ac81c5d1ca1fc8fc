"""Browser security headers on every page the URL patterns reach (walked from the resolver, as the
access tests do): a Content-Security-Policy with no inline scripts or styles and no framing (the API
docs pages alone have a looser one), Referrer-Policy and Permissions-Policy; and the site's own pages
contain nothing that policy would block."""
import re

import pytest
from django.contrib.auth import get_user_model

from catalog.models import Genre, Title
from ratings.models import Rating

from .security_urls import all_routes, fast_password_hashing

pytestmark = pytest.mark.django_db

DOCS = {"/api/v1/docs/", "/api/v1/redoc/"}
ROUTES = all_routes()
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle=", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.I)


@pytest.fixture
def staff_client(client, settings):
    """A superuser (every staff page and admin answers 200) with a rating of a title, so posters, the
    histogram and the onboarding bar are drawn."""
    fast_password_hashing(settings)
    staff = get_user_model().objects.create_superuser("root", password="a-Str0ng-password!")
    title = Title.objects.create(name="Heat", year=1995, movielens_id=1)
    title.genres.add(Genre.objects.create(name="Crime"))
    Rating.objects.create(user=staff, title=title, score=4.5)
    client.force_login(staff)
    return client


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_security_headers(route: str, response) -> None:
    assert "Content-Security-Policy" in response, (route, response.status_code)
    policy = directives(response)
    assert policy["frame-ancestors"] == ["'none'"], route
    assert policy["default-src"] == ["'self'"], route
    assert response["Referrer-Policy"] == "same-origin", route
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"], route
    if route in DOCS:
        assert "'unsafe-inline'" in policy["script-src"], route
    else:
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], (route, policy)


def test_the_walk_reaches_pages_api_admin_and_docs():
    routes = {r.route for r in ROUTES}
    assert {"/", "/titles/<int:pk>/", "/accounts/me/", "/api/v1/me/", "/admin/", "/staff/models/"} <= routes
    assert DOCS <= routes


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.route)
def test_every_url_sends_the_security_headers(staff_client, route):
    response = staff_client.get(route.url, HTTP_ACCEPT="text/html")
    assert_security_headers(route.route, response)


@pytest.mark.parametrize("path", ["/", "/titles/", "/recommendations/welcome/", "/accounts/me/", "/insights/", "/staff/models/"])
def test_site_pages_have_no_inline_script_style_or_handler(staff_client, path):
    title = Title.objects.get()
    for url in (path, f"/titles/{title.pk}/"):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group(0))
        assert not STYLE_ATTRIBUTE.search(html), (url, STYLE_ATTRIBUTE.search(html).group(0))
        assert not EVENT_ATTRIBUTE.search(html), (url, EVENT_ATTRIBUTE.search(html).group(0))


def test_the_title_page_draws_its_poster_and_histogram_with_classes(staff_client):
    title = Title.objects.get()
    html = staff_client.get(f"/titles/{title.pk}/").content.decode()
    assert re.search(r'class="poster hue-\d+ large"', html) and 'class="bar w-100"' in html


@pytest.mark.parametrize("path", ["/no-such-page/", "/api/v1/no-such-endpoint/"])
def test_error_answers_send_the_headers_too(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_security_headers(path, response)


def test_an_oversized_body_refusal_sends_the_headers(client, settings):
    settings.REQUEST_BODY_MAX_BYTES = 10
    response = client.post("/accounts/login/", {"username": "x" * 50})
    assert response.status_code == 413
    assert_security_headers("/accounts/login/", response)


def test_only_the_docs_pages_get_the_looser_policy(staff_client):
    looser = [r.route for r in ROUTES if "'unsafe-inline'" in staff_client.get(r.url)["Content-Security-Policy"]]
    assert sorted(looser) == sorted(DOCS)
