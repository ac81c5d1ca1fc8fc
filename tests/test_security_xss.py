"""Imported text is escaped on every page: a streaming-catalog CSV (netflix_titles.csv schema) whose
title, director, cast, country, genres and description carry <script> and attribute-breaking markup
goes through the real import; every page that shows it (public, personal, staff, admin, browsable
API) renders it as text, and the JSON API returns it unchanged as data. Templates and template tags
are scanned for ways around autoescaping."""
import csv
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Credit, Genre, ImportRun, Person, RejectedRow, Title
from catalog.pipeline import run_import
from ratings.models import Dismissal, Rating, WatchlistEntry

from .conftest import make_user
from .security_urls import fast_password_hashing

User = get_user_model()
pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = [SCRIPT, "<img src=x onerror=alert(1)>"]  # must never reach an HTML page as markup
ESCAPED = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;"]

HEADER = ["show_id", "type", "title", "director", "cast", "country", "date_added", "release_year", "rating", "duration", "listed_in", "description"]
ROWS = [
    ["s1", "Movie", f"Evil {SCRIPT} Movie", f"Dir {SCRIPT}", f"Actor {SCRIPT}, Actress {IMG}", f"Land{SCRIPT}",
     "September 25, 2021", "2020", "PG-13", "90 min", f"Genre{SCRIPT}, Drama{IMG}", f"Plot {SCRIPT} and {IMG} end."],
    ["s2", "TV Show", f"Evil {IMG} Show", f"Maker {IMG}", f"Star {IMG}", "United States",
     "August 4, 2021", "2021", "TV-MA", "2 Seasons", f"Genre{SCRIPT}", f"Series {IMG}"],
    # Rejected (the year is markup): the raw record is shown on the staff and admin import pages.
    ["s3", "Movie", f"Broken {SCRIPT}", "", "", "", "", SCRIPT, "", "", "", ""],
]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    fast_password_hashing(settings)


@pytest.fixture
def evil(tmp_path):
    path = tmp_path / "netflix_titles.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    result = run_import("streaming", [str(path)], trigger="test")
    assert not result.refused and result.totals.created == 2 and result.totals.rejected == 1
    movie = Title.objects.get(name__startswith="Evil", kind=Title.Kind.MOVIE)
    show = Title.objects.get(name__startswith="Evil", kind=Title.Kind.SERIES)
    # Popular enough for the home rows and the popular picks.
    for index in range(5):
        rater = User.objects.create(username=f"rater{index}")
        Rating.objects.create(user=rater, title=movie, score=4.5)
        Rating.objects.create(user=rater, title=show, score=4.0)
    return {
        "movie": movie,
        "show": show,
        "director": Person.objects.get(credits__title=movie, credits__role=Credit.Role.DIRECTOR),
        "actor": Person.objects.filter(credits__title=movie, credits__role=Credit.Role.ACTOR).order_by("name").first(),
        "run": ImportRun.objects.get(),
        "rejected": RejectedRow.objects.get(),
        "genre": Genre.objects.filter(name__startswith="Genre").first(),
    }


def test_the_import_kept_the_markup_as_text(evil):
    assert SCRIPT in evil["movie"].name and SCRIPT in evil["movie"].description and IMG in evil["movie"].description
    assert SCRIPT in evil["director"].name and evil["genre"] is not None and SCRIPT in evil["genre"].name
    assert SCRIPT in evil["rejected"].raw


def assert_escaped(response, must_show=True):
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    for raw in RAW:
        assert raw not in body, f"unescaped {raw!r} in {response.request['PATH_INFO']}"
    if must_show:
        assert any(escaped in body for escaped in ESCAPED), f"the text itself is missing from {response.request['PATH_INFO']}"


PUBLIC_PAGES = {
    "catalog list": lambda e: "/titles/",
    "catalog by newest": lambda e: "/titles/?sort=newest",
    "search results": lambda e: "/titles/?q=Evil",
    "search for the markup itself": lambda e: "/titles/?q=" + SCRIPT,
    "person search": lambda e: "/titles/?person=" + "Dir",
    "genre filter": lambda e: "/titles/?genre=" + e["genre"].name,
    "title page": lambda e: f"/titles/{e['movie'].pk}/",
    "series page": lambda e: f"/titles/{e['show'].pk}/",
    "director page": lambda e: f"/titles/people/{e['director'].pk}/",
    "actor page": lambda e: f"/titles/people/{e['actor'].pk}/",
    "home rows": lambda e: "/",
    "home rows by genre": lambda e: "/?genre=" + e["genre"].name,
}


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_escape_imported_text(evil, name):
    assert_escaped(Client().get(PUBLIC_PAGES[name](evil)))


def test_insights_embed_genre_names_as_inert_json(evil):
    response = Client().get("/insights/")
    assert_escaped(response, must_show=False)
    assert "Genre\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in response.content.decode()


@pytest.fixture
def signed_in(evil):
    user = make_user("viewer")
    Rating.objects.create(user=user, title=evil["movie"], score=5.0)
    WatchlistEntry.objects.create(user=user, title=evil["show"])
    Dismissal.objects.create(user=user, title=evil["show"])
    client = Client()
    client.force_login(user)
    return client


PERSONAL_PAGES = {
    "my ratings": "/ratings/",
    "watchlist": "/ratings/watchlist/",
    "not interested": "/ratings/not-interested/",
    "recommendations": "/recommendations/",
    "onboarding": "/recommendations/welcome/",
    "home signed in": "/",
}


@pytest.mark.parametrize("name", PERSONAL_PAGES)
def test_personal_pages_escape_imported_text(signed_in, name):
    assert_escaped(signed_in.get(PERSONAL_PAGES[name]), must_show=name not in {"onboarding"})


def test_ratings_export_is_csv_not_html(signed_in):
    response = signed_in.get("/ratings/export.csv")
    assert response["Content-Type"].startswith("text/csv") and response["Content-Disposition"].startswith("attachment")


def test_flash_message_after_rating_escapes_the_title(signed_in, evil):
    response = signed_in.post(f"/ratings/{evil['movie'].pk}/", {"score": "3.0"}, follow=True)
    assert_escaped(response)
    assert "Changed your rating of Evil &lt;script&gt;" in response.content.decode()


def test_json_answer_of_the_rating_form_is_json(signed_in, evil):
    response = signed_in.post(f"/ratings/{evil['movie'].pk}/", {"score": "3.0"}, HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json" and SCRIPT in response.json()["message"]


@pytest.fixture
def staff(evil):
    admin = User.objects.create_superuser("root", password="r00t-Passw0rd!")
    client = Client()
    client.force_login(admin)
    return client


STAFF_PAGES = {
    "staff import runs": lambda e: "/staff/imports/",
    "staff import detail": lambda e: f"/staff/imports/{e['run'].pk}/",
    "admin titles": lambda e: "/admin/catalog/title/",
    "admin title search": lambda e: "/admin/catalog/title/?q=Evil",
    "admin title change": lambda e: f"/admin/catalog/title/{e['movie'].pk}/change/",
    "admin people": lambda e: "/admin/catalog/person/",
    "admin person change": lambda e: f"/admin/catalog/person/{e['director'].pk}/change/",
    "admin genres": lambda e: "/admin/catalog/genre/",
    "admin countries": lambda e: "/admin/catalog/country/",
    "admin rejected rows": lambda e: "/admin/catalog/rejectedrow/",
    "admin rejected row": lambda e: f"/admin/catalog/rejectedrow/{e['rejected'].pk}/change/",
    "admin import run": lambda e: f"/admin/catalog/importrun/{e['run'].pk}/change/",
    "admin ratings": lambda e: "/admin/ratings/rating/",
    "admin availability": lambda e: "/admin/catalog/availability/",
    "admin title delete confirmation": lambda e: f"/admin/catalog/title/{e['movie'].pk}/delete/",
}


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_and_admin_pages_escape_imported_text(staff, evil, name):
    assert_escaped(staff.get(STAFF_PAGES[name](evil)), must_show=name not in {"admin import run", "staff import runs"})


def test_admin_watchlist_and_dismissals_escape_imported_text(staff, signed_in):
    assert_escaped(staff.get("/admin/ratings/watchlistentry/"))
    assert_escaped(staff.get("/admin/ratings/dismissal/"))


# The API: JSON keeps the text as data; the browsable HTML view escapes it


@pytest.mark.parametrize("path", ["titles/{movie}/", "titles/?search=Evil", "people/{director}/", "genres/", "titles/{movie}/similar/"])
def test_api_json_returns_the_text_unchanged_as_json(evil, path):
    response = APIClient().get("/api/v1/" + path.format(movie=evil["movie"].pk, director=evil["director"].pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert SCRIPT in response.content.decode() or "Evil" not in response.content.decode()


def test_api_json_title_fields_are_exact(evil):
    data = APIClient().get(f"/api/v1/titles/{evil['movie'].pk}/").json()
    assert data["name"] == evil["movie"].name and IMG in data["description"]


@pytest.mark.parametrize("path", ["titles/{movie}/", "titles/?search=Evil", "people/{director}/"])
def test_browsable_api_escapes_the_text(evil, path):
    response = Client().get("/api/v1/" + path.format(movie=evil["movie"].pk, director=evil["director"].pk), HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("text/html")
    assert_escaped(response, must_show=False)


def test_api_my_lists_return_json(signed_in, evil):
    client = APIClient()
    client.force_authenticate(User.objects.get(username="viewer"))
    for path in ("me/ratings/", "me/watchlist/", "me/not-interested/", "me/recommendations/"):
        response = client.get("/api/v1/" + path)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"


# Reflected input


@pytest.mark.parametrize("url", ["/titles/?q={x}", "/titles/?person={x}", "/titles/?genre={x}", "/titles/?platform={x}", "/?genre={x}",
                                 "/titles/?sort={x}", "/titles/?q=a&page={x}"])
def test_query_parameters_are_escaped_when_shown_back(db, url):
    for payload in (SCRIPT, IMG):
        response = Client().get(url.format(x=payload))
        assert_escaped(response, must_show=False)


def test_next_parameter_of_login_is_escaped(db):
    assert_escaped(Client().get("/accounts/login/?next=" + IMG), must_show=False)


def test_a_signed_up_username_with_markup_is_escaped(db):
    client = Client()
    client.post("/accounts/signup/", {"username": "x<script>", "password1": "a-Str0ng-password!", "password2": "a-Str0ng-password!"})
    assert not User.objects.filter(username__contains="<").exists()  # Django's username validator refuses it


# Templates and template tags: no way around autoescaping


def template_files():
    roots = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]
    return sorted({p for root in roots for p in root.rglob("*.html")})


def python_sources():
    return sorted(p for app in ("catalog", "ratings", "recommender", "streamrec") for p in (Path(settings.BASE_DIR) / app).rglob("*.py") if "migrations" not in p.parts)


def test_templates_never_turn_autoescaping_off():
    offenders = [
        f"{p.name}: {m.group(0)}" for p in template_files()
        for m in re.finditer(r"\|\s*safe\b|\{%\s*autoescape\s+off|\|\s*safeseq\b", p.read_text())
    ]
    assert offenders == []


def test_inline_scripts_hold_no_template_values():
    for path in template_files():
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", path.read_text(), flags=re.S):
            assert "{{" not in script and "{%" not in script, path


def test_data_for_scripts_goes_through_json_script():
    uses = [p.name for p in template_files() if "json_script" in p.read_text()]
    assert sorted(uses) == ["insights.html", "model_versions.html"]


def test_python_code_marks_nothing_safe_except_format_html():
    offenders = [
        f"{p.relative_to(settings.BASE_DIR)}:{n}" for p in python_sources()
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\bmark_safe\(|SafeString\(|SafeText\(|allow_tags|\.safe\b|is_safe\s*=", line)
    ]
    assert offenders == []


def test_site_script_writes_text_not_html():
    for path in (Path(settings.BASE_DIR) / "static" / "js").glob("*.js"):
        text = path.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", text), path.name
