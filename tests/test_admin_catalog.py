"""Catalog admin for curators: search and filters, activate/deactivate, merge duplicates, upload-and-import."""
import datetime
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog.models import Availability, Credit, Genre, ImportRun, Platform, SourceRecord, Title, TitleDetails
from ratings.models import Dismissal, Rating, WatchlistEntry

from .api_fixtures import *  # noqa: F401,F403
from .conftest import make_user, recommendations_for

User = get_user_model()
FIXTURES = Path(__file__).parent / "fixtures" / "streaming"
CHANGELIST = "/admin/catalog/title/"


@pytest.fixture
def staff_client(client, db):
    curator = User.objects.create_superuser("curator", "curator@example.com", "curator-Pass-123")
    client.force_login(curator)
    return client


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.CATALOG_UPLOAD_DIR = tmp_path / "uploads"
    return settings.CATALOG_UPLOAD_DIR


def act(client, action, titles, **extra):
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in titles], **extra}, follow=True)


# Lists, search, filters


def test_title_changelist_searches_people_and_external_ids(staff_client, catalog):
    catalog["heat"].tmdb_id = 949
    catalog["heat"].save()
    for query, expected in (("pacino", {"Clue", "Heat"}), ("949", {"Heat"}), ("office", {"The Office"})):
        response = staff_client.get(CHANGELIST, {"q": query})
        assert {t.name for t in response.context["cl"].result_list} == expected, query


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"kind__exact": "series"}, {"The Office", "The Wire"}),
        ({"is_active__exact": "0"}, set()),
        ({"year": "1995"}, {"Heat"}),
    ],
)
def test_title_changelist_filters(staff_client, catalog, params, expected):
    response = staff_client.get(CHANGELIST, params)
    assert {t.name for t in response.context["cl"].result_list} == expected


def test_title_changelist_filters_by_platform_and_genre(staff_client, catalog):
    on_netflix = staff_client.get(CHANGELIST, {"platforms__id__exact": catalog["netflix"].pk})
    assert {t.name for t in on_netflix.context["cl"].result_list} == {"Heat", "The Office"}
    comedies = staff_client.get(CHANGELIST, {"genres__id__exact": catalog["comedy"].pk})
    assert {t.name for t in comedies.context["cl"].result_list} == {"Clue", "Up", "The Office"}


def test_title_change_page_has_availability_and_credit_inlines(staff_client, catalog):
    html = staff_client.get(f"{CHANGELIST}{catalog['heat'].pk}/change/").content.decode()
    assert "availabilities-TOTAL_FORMS" in html and "credits-TOTAL_FORMS" in html
    assert "Vincent Hanna" in html and "s2" in html


# Activate / deactivate


def test_deactivate_hides_titles_everywhere(staff_client, rated_catalog, user):
    heat, up = rated_catalog["heat"], rated_catalog["up"]
    response = act(staff_client, "deactivate_titles", [heat, up])
    assert "2 title(s) deactivated" in response.content.decode()
    assert set(Title.objects.filter(is_active=False).values_list("name", flat=True)) == {"Heat", "Up"}
    assert Rating.objects.filter(title=heat).count() == 3  # nothing is deleted
    assert {r.title.name for r in recommendations_for(user, n=10)} == {"Clue"}
    assert staff_client.get(f"/titles/{heat.pk}/").status_code == 404
    assert staff_client.get(f"/api/v1/titles/{heat.pk}/").status_code == 404


def test_activate_brings_them_back(staff_client, rated_catalog, user):
    heat = rated_catalog["heat"]
    Title.objects.filter(pk=heat.pk).update(is_active=False)
    response = act(staff_client, "activate_titles", [heat, rated_catalog["clue"]])
    assert "1 title(s) activated" in response.content.decode()
    assert Title.objects.get(pk=heat.pk).is_active
    assert "Heat" in {r.title.name for r in recommendations_for(user, n=10)}


# Merge duplicates


@pytest.fixture
def duplicates(rated_catalog, user, other_user):
    """"Heat" imported twice: the copy has its own ratings, lists, availability, credit and ids."""
    heat = rated_catalog["heat"]
    heat.movielens_id = 6
    heat.save()
    copy = Title.objects.create(name="Heat", year=1995, tmdb_id=949, imdb_id="tt0113277", description="A cop and a thief.")
    copy.genres.add(Genre.objects.create(name="Crime"))
    disney = rated_catalog["disney"]
    Availability.objects.create(title=copy, platform=disney, platform_item_id="d9", date_added=datetime.date(2020, 1, 1))
    Credit.objects.create(title=copy, person=rated_catalog["mann"], role=Credit.Role.DIRECTOR)  # same as on Heat
    Credit.objects.create(title=copy, person=rated_catalog["pacino"], role=Credit.Role.DIRECTOR)  # new credit
    TitleDetails.objects.create(title=copy, vote_average=7.9, vote_count=5000)
    SourceRecord.objects.create(source="tmdb", external_id="949", title=copy, checksum="x")
    now = timezone.now()  # after the ratings of rated_catalog
    rater0 = User.objects.get(username="rater0")
    Rating.objects.create(user=rater0, title=copy, score=1.0, updated_at=now)  # rater0 rated Heat 5.0 earlier: newer wins
    Rating.objects.create(user=user, title=copy, score=3.0, updated_at=now)  # only on the copy: moves
    WatchlistEntry.objects.create(user=user, title=copy)
    WatchlistEntry.objects.create(user=other_user, title=copy)
    WatchlistEntry.objects.create(user=other_user, title=heat)
    Dismissal.objects.create(user=other_user, title=copy)
    return heat, copy


def test_merge_asks_which_title_to_keep(staff_client, duplicates):
    heat, copy = duplicates
    page = act(staff_client, "merge_duplicates", [heat, copy])
    assert page.status_code == 200 and b"Merge into the chosen title" in page.content
    assert Title.objects.filter(pk=copy.pk).exists()


def test_merge_moves_everything_to_the_kept_title(staff_client, duplicates, user, other_user):
    heat, copy = duplicates
    ratings_before = Rating.objects.filter(title__in=[heat, copy]).count()
    response = act(staff_client, "merge_duplicates", [heat, copy], apply="1", keep=heat.pk)
    assert "Merged 1 title(s)" in response.content.decode()
    assert not Title.objects.filter(pk=copy.pk).exists()
    kept = Title.objects.get(pk=heat.pk)
    # Ratings: one per user, nothing lost; the most recent wins where a user rated both.
    assert Rating.objects.filter(title=kept).count() == ratings_before - 1 == 4
    assert Rating.objects.get(title=kept, user__username="rater0").score == 1.0
    assert Rating.objects.get(title=kept, user=user).score == 3.0
    assert set(WatchlistEntry.objects.filter(title=kept).values_list("user__username", flat=True)) == {"alice", "bob"}
    assert Dismissal.objects.filter(title=kept, user=other_user).count() == 1
    assert set(Availability.objects.filter(title=kept).values_list("platform_item_id", flat=True)) == {"s2", "d9"}
    assert set(Credit.objects.filter(title=kept).values_list("person__name", "role")) == {
        ("Michael Mann", "director"), ("Al Pacino", "actor"), ("Al Pacino", "director"),
    }
    assert set(kept.genres.values_list("name", flat=True)) == {"Drama", "Crime"}
    assert (kept.movielens_id, kept.tmdb_id, kept.imdb_id, kept.description) == (6, 949, "tt0113277", "A cop and a thief.")
    assert kept.details.vote_count == 400  # the kept title had its own TMDB details: they stay
    assert SourceRecord.objects.get(external_id="949").title_id == kept.pk


def test_merge_needs_two_titles(staff_client, catalog):
    response = act(staff_client, "merge_duplicates", [catalog["heat"]])
    assert "Select at least two titles" in response.content.decode()


def test_merge_keeps_the_title_active_when_a_duplicate_was(staff_client, duplicates):
    heat, copy = duplicates
    Title.objects.filter(pk=heat.pk).update(is_active=False)
    act(staff_client, "merge_duplicates", [heat, copy], apply="1", keep=heat.pk)
    assert Title.objects.get(pk=heat.pk).is_active


# Upload and import


def upload(client, name, content, fmt="streaming", platform=""):
    return client.post(
        "/admin/catalog/importrun/upload/",
        {"format": fmt, "platform": platform, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def test_upload_page_is_linked_from_import_runs(staff_client, db):
    assert b"/admin/catalog/importrun/upload/" in staff_client.get("/admin/catalog/importrun/").content
    assert staff_client.get("/admin/catalog/importrun/upload/").status_code == 200


def test_upload_imports_a_catalog_file(staff_client, upload_dir):
    response = upload(staff_client, "netflix_titles.csv", (FIXTURES / "netflix.csv").read_bytes())
    assert "import queued" in response.content.decode()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED and run.created > 0
    assert Platform.objects.filter(slug="netflix").exists() and Title.objects.count() == run.created


@pytest.mark.parametrize(
    "name,message", [("wrong_header.csv", "header"), ("utf16_titles.csv", "encoding"), ("header_only.csv", "no data rows")],
)
def test_upload_refuses_bad_files_before_writing_anything(staff_client, upload_dir, name, message):
    response = upload(staff_client, name.replace("_titles", "").replace(".csv", "_netflix.csv"), (FIXTURES / name).read_bytes(), platform="netflix")
    assert response.status_code == 200 and message in response.content.decode().lower()
    assert not ImportRun.objects.exists() and not Title.objects.exists()
    assert not any(upload_dir.rglob("*.csv"))


def test_upload_refuses_empty_oversized_and_foreign_files(staff_client, upload_dir, monkeypatch):
    from catalog import admin_curation

    assert "empty" in upload(staff_client, "netflix_titles.csv", b"").content.decode()
    assert "Expected a" in upload(staff_client, "titles.xlsx", b"PK\x03\x04").content.decode()
    monkeypatch.setattr(admin_curation, "MAX_UPLOAD_BYTES", 10)
    assert "at most 10 are accepted" in upload(staff_client, "netflix_titles.csv", b"x" * 11).content.decode()
    assert not ImportRun.objects.exists() and not Title.objects.exists()


def test_upload_needs_permission(client, db, upload_dir):
    viewer = make_user("viewer")
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    assert client.get("/admin/catalog/importrun/upload/").status_code == 403
