"""The watch-events API: one event or a batch, idempotent by client event id, clear 400s for
nonsense, newest first, delete one's own only; and what the events make of the user's viewings."""
import datetime

import pytest
from django.utils import timezone

from ratings.models import Preference, Viewing, WatchEvent

from .api_fixtures import catalog, client_for  # noqa: F401

URL = "/api/v1/me/watch-events/"


def event(title, kind="progress", position=600, duration=6000, cid="e1", at=None):
    at = at or timezone.now() - datetime.timedelta(minutes=5)
    return {"title": title.pk, "event": kind, "position_seconds": position, "duration_seconds": duration,
            "client_event_id": cid, "occurred_at": at.isoformat()}


@pytest.fixture
def api(user):
    return client_for(user)


def test_one_event_is_stored_with_its_viewing(api, user, catalog):
    response = api.post(URL, event(catalog["heat"], "start", 0), format="json")
    assert response.status_code == 201
    assert response.json() == {"created": 1, "duplicates": 0, "paused": False}
    stored = WatchEvent.objects.get(user=user)
    assert (stored.title_id, stored.event, stored.position_seconds) == (catalog["heat"].pk, "start", 0)
    viewing = Viewing.objects.get(user=user, title=catalog["heat"])
    assert viewing.finished_at is None and viewing.implicit_score == 3.0


def test_a_resent_batch_creates_no_duplicates(api, user, catalog):
    batch = {"events": [event(catalog["heat"], "start", 0, cid="a"), event(catalog["heat"], "progress", 3000, cid="b"),
                        event(catalog["up"], "finish", 6000, cid="c")]}
    first = api.post(URL, batch, format="json")
    again = api.post(URL, batch, format="json")
    assert first.status_code == 201 and first.json()["created"] == 3
    assert again.status_code == 200 and again.json() == {"created": 0, "duplicates": 3, "paused": False}
    assert WatchEvent.objects.filter(user=user).count() == 3
    assert Viewing.objects.filter(user=user).count() == 2


def test_the_same_id_twice_in_one_batch_is_stored_once(api, user, catalog):
    batch = {"events": [event(catalog["heat"], cid="same"), event(catalog["heat"], position=900, cid="same")]}
    assert api.post(URL, batch, format="json").json() == {"created": 1, "duplicates": 1, "paused": False}
    assert WatchEvent.objects.filter(user=user).count() == 1


def test_another_users_client_id_is_theirs(api, other_user, user, catalog):
    client_for(other_user).post(URL, event(catalog["heat"], cid="shared"), format="json")
    assert api.post(URL, event(catalog["heat"], cid="shared"), format="json").status_code == 201
    assert WatchEvent.objects.filter(client_event_id="shared").count() == 2


@pytest.mark.parametrize("change,field", [
    ({"position_seconds": 7000}, "position_seconds"),
    ({"event": "pause"}, "event"),
    ({"duration_seconds": 0}, "duration_seconds"),
    ({"client_event_id": ""}, "client_event_id"),
])
def test_nonsense_is_refused_with_the_field_named(api, user, catalog, change, field):
    response = api.post(URL, {**event(catalog["heat"]), **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not WatchEvent.objects.exists()


def test_an_unknown_title_is_refused(api, catalog):
    response = api.post(URL, {**event(catalog["heat"]), "title": 999_999}, format="json")
    assert response.status_code == 400
    assert "No active title with id 999999" in response.json()["title"][0]


def test_a_time_in_the_future_is_refused(api, catalog):
    response = api.post(URL, event(catalog["heat"], at=timezone.now() + datetime.timedelta(days=1)), format="json")
    assert response.status_code == 400 and "in the future" in response.json()["occurred_at"][0]


def test_one_bad_event_stores_none_of_the_batch_and_names_it(api, catalog):
    batch = {"events": [event(catalog["heat"], cid="ok"), {**event(catalog["up"], cid="bad"), "position_seconds": 99_999}]}
    response = api.post(URL, batch, format="json")
    assert response.status_code == 400
    assert "events.1.position_seconds" in response.json()
    assert not WatchEvent.objects.exists()


def test_batches_are_bounded(api, catalog):
    batch = {"events": [event(catalog["heat"], cid=f"e{i}") for i in range(501)]}
    assert api.post(URL, batch, format="json").status_code == 400
    assert not WatchEvent.objects.exists()


def test_list_is_newest_first_and_only_mine(api, other_user, catalog):
    now = timezone.now()
    api.post(URL, {"events": [event(catalog["heat"], cid="old", at=now - datetime.timedelta(hours=3)),
                              event(catalog["up"], cid="new", at=now - datetime.timedelta(hours=1))]}, format="json")
    client_for(other_user).post(URL, event(catalog["clue"], cid="theirs"), format="json")
    body = api.get(URL).json()
    assert [item["client_event_id"] for item in body["results"]] == ["new", "old"]
    assert body["results"][0]["title_detail"]["name"] == "Up"


def test_delete_one_of_mine_and_never_anothers(api, other_user, user, catalog):
    api.post(URL, event(catalog["heat"], cid="mine"), format="json")
    client_for(other_user).post(URL, event(catalog["heat"], cid="theirs"), format="json")
    mine = WatchEvent.objects.get(client_event_id="mine")
    theirs = WatchEvent.objects.get(client_event_id="theirs")
    assert api.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert api.delete(f"{URL}{mine.pk}/").status_code == 204
    assert not WatchEvent.objects.filter(pk=mine.pk).exists() and WatchEvent.objects.filter(pk=theirs.pk).exists()
    assert not Viewing.objects.filter(user=user).exists()  # the viewing went with its only event
    assert api.delete(f"{URL}abc/").status_code == 404


def test_anonymous_gets_401(api_client, db):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {}, format="json").status_code == 401


def test_nothing_is_recorded_while_paused(api, user, catalog):
    Preference.objects.create(user=user, watch_history_paused=True)
    response = api.post(URL, event(catalog["heat"]), format="json")
    assert response.status_code == 200 and response.json()["paused"] is True
    assert not WatchEvent.objects.exists()
