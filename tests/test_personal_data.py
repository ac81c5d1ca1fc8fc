"""Personal data: "Download my data" on the account page and GET /api/v1/me/export/ give one JSON
document with everything held about the person, secrets excepted; deleting the account removes it all.
A walk over every model that points at the user keeps the export complete as models are added."""
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token

from catalog.models import Platform, StreamingServices, Tag, TagApplication, Title
from ratings.models import Dismissal, NotSeen, Preference, Rating, WatchlistEntry
from ratings.personal_data import EXPORTED
from ratings.watch_services import EventInput, record_events
from recommender.models import DigestDelivery, DigestRun
from streamrec.models import EmailPreference, LoginFailure

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()

# Models that point at the user and are deliberately not in the export, with the reason.
NOT_EXPORTED = {
    "admin.LogEntry": "the admin's audit log of staff actions on the site's objects: records about the "
                      "catalog kept for accountability, not data about the person (deleted with the account)",
}


def models_pointing_at_the_user() -> dict[str, type]:
    """Every table with a foreign key or one-to-one field to the user model (auto-created many-to-many
    tables included; proxies share their model's table), by model label."""
    return {
        model._meta.label: model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and any(f.is_relation and f.related_model is User for f in model._meta.concrete_fields)
    }


@pytest.fixture
def person(user):
    """alice with one of everything: a rating, a watchlist entry, a hidden title, a setting, a token,
    a group and a permission, a failed sign-in and an admin log entry."""
    heat, ronin, alien = (Title.objects.create(name=n, year=y, movielens_id=i) for i, (n, y) in enumerate([("Heat", 1995), ("Ronin", 1998), ("Alien", 1979)], 1))
    Rating.objects.create(user=user, title=heat, score=4.5)
    WatchlistEntry.objects.create(user=user, title=ronin)
    Dismissal.objects.create(user=user, title=alien)
    NotSeen.objects.create(user=user, title=heat)
    Preference.objects.create(user=user, novelty=0.75)
    Token.objects.create(user=user)
    user.groups.add(Group.objects.create(name="beta testers"))
    user.user_permissions.add(Permission.objects.get(codename="view_title"))
    user.email = "alice@example.org"
    user.save()
    LoginFailure.objects.create(username="alice")
    LogEntry.objects.create(user=user, action_flag=ADDITION, object_repr="Heat")
    record_events(user=user, items=[EventInput(ronin.pk, "finish", 6000, 6000, "phone-1", timezone.now() - timedelta(hours=2))])
    services = StreamingServices.objects.create(user=user)
    services.platforms.add(Platform.objects.create(slug="netflix", name="Netflix"))
    TagApplication.objects.create(user=user, title=heat, tag=Tag.objects.create(name="heist"), applied_at=timezone.now())
    EmailPreference.objects.create(user=user, confirmed_address="alice@example.org", confirmed_at=timezone.now(), weekly_digest=True)
    run = DigestRun.objects.create(week=timezone.localdate() - timedelta(days=timezone.localdate().weekday()))
    DigestDelivery.objects.create(run=run, user=user, week=run.week, status=DigestDelivery.Status.SENT, titles=6)
    return user


def test_every_model_pointing_at_the_user_is_exported_or_left_out_with_a_reason():
    pointing = set(models_pointing_at_the_user())
    unaccounted = pointing - set(EXPORTED) - set(NOT_EXPORTED)
    assert not unaccounted, f"add these to ratings/personal_data.py or to NOT_EXPORTED with a reason: {unaccounted}"
    assert not set(EXPORTED) & set(NOT_EXPORTED)
    assert all(reason.strip() for reason in NOT_EXPORTED.values())
    # Nothing listed that no longer exists: both lists name real models.
    assert set(EXPORTED) | set(NOT_EXPORTED) <= pointing


def test_the_api_export_holds_every_exported_model_with_rows(person):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(person)
    response = client.get("/api/v1/me/export/")
    assert response.status_code == 200
    document = response.json()
    for label, key in EXPORTED.items():
        assert document[key], f"{label}: nothing under {key!r}"
    assert document["account"]["username"] == "alice" and document["account"]["email"] == "alice@example.org"
    assert document["account"]["groups"] == ["beta testers"]
    assert document["account"]["permissions"] == ["catalog.view_title"]
    assert document["settings"]["novelty"] == 0.75
    assert [(r["title"], r["year"], r["score"]) for r in document["ratings"]] == [("Heat", 1995, 4.5)]
    assert [w["title"] for w in document["watchlist"]] == ["Ronin"]
    assert [d["title"] for d in document["not_interested"]] == ["Alien"]
    assert len(document["sign_in_failures"]) == 1
    assert [(e["title"], e["event"], e["client_event_id"]) for e in document["watch_events"]] == [("Ronin", "finish", "phone-1")]
    assert document["viewings"][0]["finished_at"] and document["settings"]["watch_history_paused"] is False
    assert document["services"] == {"platforms": ["netflix"], "everything": False}
    assert [(t["title"], t["tag"]) for t in document["tags"]] == [("Heat", "heist")]
    assert document["email"]["confirmed_address"] == "alice@example.org" and document["email"]["weekly_digest"] is True
    assert document["digests"] == [{"week": document["digests"][0]["week"], "status": "sent", "titles": 6}]
    assert document["format"] == "streamrec-personal-data" and document["format_version"] == 2


def test_secrets_never_leave(person):
    from rest_framework.test import APIClient

    token = Token.objects.get(user=person)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = client.get("/api/v1/me/export/").content.decode()
    assert token.key not in body
    assert person.password not in body and "password" not in body
    document = json.loads(body)
    assert document["api_token"] == f"a token exists, created on {token.created:%Y-%m-%d %H:%M} UTC"


def test_no_token_says_so(logged_in_client):
    document = json.loads(logged_in_client.get("/accounts/me/export/").content)
    assert document["api_token"] is None and document["ratings"] == []


def test_download_my_data_is_linked_from_the_account_page_and_downloads_the_same_document(logged_in_client, person):
    page = logged_in_client.get("/accounts/me/").content.decode()
    assert 'href="/accounts/me/export/"' in page and "Download my data" in page
    response = logged_in_client.get("/accounts/me/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="streamrec-data-')
    assert response["Cache-Control"] == "no-store"
    document = json.loads(response.content)
    assert document["ratings"][0]["title"] == "Heat" and document["watchlist"][0]["title"] == "Ronin"


def test_the_export_is_only_ones_own(person, other_user):
    from rest_framework.test import APIClient

    Rating.objects.create(user=other_user, title=Title.objects.get(name="Ronin"), score=1.0)
    client = APIClient()
    client.force_authenticate(other_user)
    document = client.get("/api/v1/me/export/").json()
    assert document["account"]["username"] == "bob"
    assert [r["title"] for r in document["ratings"]] == ["Ronin"] and document["watchlist"] == []
    assert document["sign_in_failures"] == []


def test_export_needs_sign_in(client, api_client):
    assert client.get("/accounts/me/export/")["Location"].startswith("/accounts/login/")
    assert api_client.get("/api/v1/me/export/").status_code == 401


def test_deleting_the_account_removes_everything_held_about_the_person(client, person, other_user):
    from django.contrib.sessions.models import Session
    from django.test import Client

    LoginFailure.objects.create(username="bob")
    LoginFailure.objects.create(username="alice", failed_at=timezone.now() - timedelta(days=2))
    phone, bobs = Client(), Client()
    phone.force_login(person)
    bobs.force_login(other_user)
    client.force_login(person)
    response = client.post("/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    for label, model in models_pointing_at_the_user().items():
        user_field = next(f for f in model._meta.concrete_fields if f.is_relation and f.related_model is User)
        assert not model.objects.filter(**{user_field.name: person.pk}).exists(), label
    assert not LoginFailure.objects.filter(username="alice").exists()
    assert LoginFailure.objects.filter(username="bob").count() == 1  # someone else's records stay
    assert Rating.objects.count() == 0 and Title.objects.count() == 3
    # Signed out everywhere: the session on the other device is gone, someone else's stays.
    assert Session.objects.count() == 1 and bobs.get("/accounts/me/").status_code == 200
    assert phone.get("/accounts/me/").status_code == 302
