"""Account page, password change, account deletion, staff pages, error pages."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from catalog.models import ImportRun, RejectedRow
from ratings.models import Dismissal, Rating, WatchlistEntry

from .conftest import PASSWORD
from .test_pages_fixtures import catalog, trained  # noqa: F401

User = get_user_model()


def test_account_page(logged_in_client, user, catalog):
    Rating.objects.create(user=user, title=catalog["action"][0], score=4.0)
    response = logged_in_client.get(reverse("account"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 rating" in body and reverse("password_change") in body and reverse("delete-account") in body


def test_change_password(logged_in_client, user):
    assert logged_in_client.get(reverse("password_change")).status_code == 200
    response = logged_in_client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "An0ther-good-one!", "new_password2": "An0ther-good-one!"}
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("An0ther-good-one!")
    assert b"Password changed" in logged_in_client.get(reverse("password_change_done")).content


def test_delete_account_needs_the_password(logged_in_client, user, catalog):
    Rating.objects.create(user=user, title=catalog["action"][0], score=4.0)
    response = logged_in_client.post(reverse("delete-account"), {"password": "wrong"})
    assert response.status_code == 400 and User.objects.filter(pk=user.pk).exists()


def test_delete_account_removes_user_and_their_ratings(logged_in_client, user, other_user, catalog):
    Rating.objects.create(user=user, title=catalog["action"][0], score=4.0)
    Rating.objects.create(user=other_user, title=catalog["action"][0], score=2.0)
    WatchlistEntry.objects.create(user=user, title=catalog["action"][1])
    Dismissal.objects.create(user=user, title=catalog["action"][2])
    assert logged_in_client.get(reverse("delete-account")).status_code == 200
    response = logged_in_client.post(reverse("delete-account"), {"password": PASSWORD}, follow=True)
    assert response.status_code == 200 and b"Goodbye" in response.content
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Rating.objects.filter(user_id=user.pk).exists() and Rating.objects.filter(user=other_user).exists()
    assert not WatchlistEntry.objects.exists() and not Dismissal.objects.exists()
    assert logged_in_client.get(reverse("ratings:mine")).status_code == 302  # logged out


@pytest.mark.parametrize("name", ["account", "delete-account", "password_change"])
def test_account_pages_require_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Staff pages


@pytest.fixture
def staff_client(db):
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_user("staffer", password=PASSWORD, is_staff=True))
    return client


def test_model_versions_page_charts_metrics(staff_client, trained):
    response = staff_client.get(reverse("staff-models"))
    assert response.status_code == 200
    assert len(response.context["chart"]["rmse"]) == 1 and response.context["serving"] is not None
    body = response.content.decode()
    assert "serving" in body and 'id="models-data"' in body and "chart.umd.min.js" in body


def test_import_runs_pages_show_errors(staff_client):
    run = ImportRun.objects.create(format="streaming", role="titles", source="netflix", path="/data/netflix.csv", status="succeeded", rows=3, rejected=1)
    RejectedRow.objects.create(run=run, line_number=3, reason="release_year is not a year", raw="s3,Movie,Bad,,,,,abc")
    listing = staff_client.get(reverse("staff-imports"))
    assert listing.status_code == 200 and b"/data/netflix.csv" not in listing.content and b"netflix" in listing.content
    detail = staff_client.get(reverse("staff-import-detail", args=[run.pk]))
    assert detail.status_code == 200
    assert b"release_year is not a year" in detail.content and b"/data/netflix.csv" in detail.content
    assert staff_client.get(reverse("staff-import-detail", args=[run.pk + 1])).status_code == 404


@pytest.mark.parametrize("name, args", [("staff-models", []), ("staff-imports", []), ("staff-import-detail", [1])])
def test_staff_pages_are_staff_only(client, logged_in_client, name, args):
    assert client.get(reverse(name, args=args)).status_code == 302
    assert logged_in_client.get(reverse(name, args=args)).status_code == 302  # to the admin login


def test_staff_link_only_for_staff(logged_in_client, staff_client):
    assert reverse("staff-models").encode() not in logged_in_client.get(reverse("home")).content
    assert reverse("staff-models").encode() in staff_client.get(reverse("home")).content


# Errors


def test_500_page_is_in_the_site_style():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html and "css/site.css" in html and "StreamRec" in html


def test_404_page_offers_a_way_on(client, db):
    response = client.get("/titles/999999/")
    assert response.status_code == 404 and b"Browse the catalog" in response.content
