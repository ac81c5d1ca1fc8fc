"""Uploads: the admin catalog upload checks size and format before the pipeline parses anything, and
a refused file leaves nothing behind (no ImportRun, no Title, no file on disk). The ratings import
page (any signed-in user) has its own size and encoding checks. (tests/test_admin_catalog.py covers
empty, wrong-header, UTF-16 and foreign-extension files.)"""
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import admin_curation
from catalog.models import ImportRun, Title
from ratings import forms as rating_forms
from ratings.models import Rating

from .conftest import make_user
from .security_urls import fast_password_hashing

User = get_user_model()
pytestmark = pytest.mark.django_db
NETFLIX = (admin_curation.settings.BASE_DIR / "tests" / "fixtures" / "streaming" / "netflix.csv").read_bytes()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    fast_password_hashing(settings)


@pytest.fixture
def staff_client(client):
    client.force_login(User.objects.create_superuser("curator", password="curator-Pass-123"))
    return client


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.CATALOG_UPLOAD_DIR = tmp_path / "uploads"
    return settings.CATALOG_UPLOAD_DIR


@pytest.fixture
def pipeline_untouched(monkeypatch):
    """Fails the test if the pipeline is asked to read the upload."""
    import catalog.pipeline

    def forbidden(*args, **kwargs):
        raise AssertionError("the pipeline parsed a file that should have been refused first")

    monkeypatch.setattr(catalog.pipeline, "inspect_files", forbidden)


def upload(client, name, content, fmt="streaming", platform="netflix"):
    return client.post("/admin/catalog/importrun/upload/", {"format": fmt, "platform": platform, "file": SimpleUploadedFile(name, content)})


def nothing_written(upload_dir) -> bool:
    return not ImportRun.objects.exists() and not Title.objects.exists() and not (upload_dir.exists() and any(upload_dir.rglob("*")))


def test_oversize_upload_is_refused_before_parsing_and_leaves_nothing(staff_client, upload_dir, monkeypatch, pipeline_untouched):
    monkeypatch.setattr(admin_curation, "MAX_UPLOAD_BYTES", len(NETFLIX) - 1)
    response = upload(staff_client, "netflix_titles.csv", NETFLIX)
    assert response.status_code == 200 and f"at most {len(NETFLIX) - 1} are accepted" in response.content.decode()
    assert nothing_written(upload_dir)


def test_a_file_of_exactly_the_limit_is_accepted(staff_client, upload_dir, monkeypatch):
    monkeypatch.setattr(admin_curation, "MAX_UPLOAD_BYTES", len(NETFLIX))
    assert upload(staff_client, "netflix_titles.csv", NETFLIX).status_code == 302
    assert ImportRun.objects.count() == 1


@pytest.mark.parametrize("name", ["titles.xlsx", "titles.exe", "titles.csv.exe", "titles.html", "titles", "../../titles.json"])
def test_wrong_extension_is_refused_before_parsing(staff_client, upload_dir, pipeline_untouched, name):
    response = upload(staff_client, name, NETFLIX)
    assert response.status_code == 200 and "Expected a" in response.content.decode()
    assert nothing_written(upload_dir)


def test_binary_content_named_csv_is_refused_and_leaves_nothing(staff_client, upload_dir):
    response = upload(staff_client, "netflix_titles.csv", PNG)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert nothing_written(upload_dir)


def test_a_file_of_another_format_is_refused_and_leaves_nothing(staff_client, upload_dir):
    response = upload(staff_client, "movies_metadata.csv", NETFLIX, fmt="tmdb", platform="")
    assert response.status_code == 200 and "header" in response.content.decode().lower()
    assert nothing_written(upload_dir)


def test_an_unknown_format_choice_is_refused(staff_client, upload_dir, pipeline_untouched):
    response = upload(staff_client, "netflix_titles.csv", NETFLIX, fmt="../../etc")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert nothing_written(upload_dir)


def test_a_path_in_the_file_name_stays_inside_the_upload_folder(staff_client, upload_dir):
    upload(staff_client, "../../../netflix_titles.csv", NETFLIX)
    saved = [p for p in upload_dir.rglob("*.csv")]
    assert saved and all(upload_dir in p.parents for p in saved)


def test_the_upload_limit_is_finite():
    assert 0 < admin_curation.MAX_UPLOAD_BYTES <= 1024 * 1024 * 1024


# The ratings import page (every signed-in user)


@pytest.fixture
def member(client):
    user = make_user("member")
    client.force_login(user)
    Title.objects.create(name="Heat", year=1995, movielens_id=6)
    return client


def import_ratings(client, content, name="ratings.csv"):
    return client.post("/ratings/import/", {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_ratings_import_refuses_an_oversize_file(member, monkeypatch):
    monkeypatch.setattr(rating_forms, "MAX_IMPORT_BYTES", 20)
    response = import_ratings(member, b"movieId,rating\n6,4.0\n" + b"6,4.0\n" * 10)
    assert "larger than" in response.content.decode() and not Rating.objects.exists()


def test_ratings_import_refuses_binary_content(member):
    response = import_ratings(member, PNG)
    assert "not UTF-8" in response.content.decode() and not Rating.objects.exists()


def test_ratings_import_refuses_a_file_without_the_columns(member):
    response = import_ratings(member, b"<html><script>alert(1)</script></html>")
    body = response.content.decode()
    assert "needs a header" in body and "<script>alert(1)" not in body and not Rating.objects.exists()


def test_a_body_above_the_request_limit_is_refused_from_its_length_alone(staff_client, upload_dir, settings, monkeypatch, pipeline_untouched):
    settings.REQUEST_BODY_MAX_BYTES = len(NETFLIX) // 2
    read = []
    monkeypatch.setattr("django.http.request.HttpRequest._load_post_and_files", lambda request: read.append(request.path))
    response = upload(staff_client, "netflix_titles.csv", NETFLIX)
    assert response.status_code == 413
    assert "at most" in response.content.decode() and "<nav" in response.content.decode()  # the site's error page
    assert read == [] and nothing_written(upload_dir)  # neither CSRF nor the form read the body


def test_the_api_answers_a_too_large_body_in_its_error_format(client, settings):
    settings.REQUEST_BODY_MAX_BYTES = 100
    response = client.post("/api/v1/auth/register/", {"username": "x" * 200, "password": "y" * 200}, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large" and response.json()["status"] == 413


def test_bodies_within_the_limit_pass(client, settings, db):
    settings.REQUEST_BODY_MAX_BYTES = 10_000
    response = client.post("/api/v1/auth/register/", {"username": "newcomer", "password": "a-Str0ng-password!"}, content_type="application/json")
    assert response.status_code == 201
