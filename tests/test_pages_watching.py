"""Watch activity on the pages: the title page's marks, "Continue watching" on the home page, the
watch history page (delete an entry, pause, clear), and lists that learn from watching alone."""
import datetime

from django.urls import reverse
from django.utils import timezone

from ratings.models import Preference, Rating, Viewing, WatchEvent
from ratings.watch_services import EventInput, record_events

from .conftest import recommendations_for
from .test_pages_fixtures import catalog, trained  # noqa: F401


def mark(client, title, action):
    return client.post(reverse("ratings:watch-mark", args=[title.pk]), {"action": action})


def test_marks_need_login(client, catalog):
    response = mark(client, catalog["action"][0], "start")
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not WatchEvent.objects.exists()


def test_marks_are_post_only(logged_in_client, catalog):
    assert logged_in_client.get(reverse("ratings:watch-mark", args=[catalog["action"][0].pk])).status_code == 405


def test_starting_puts_a_title_in_continue_watching_and_finishing_takes_it_out(logged_in_client, user, catalog):
    started, finished = catalog["action"][0], catalog["action"][1]
    assert mark(logged_in_client, started, "start").status_code == 302
    mark(logged_in_client, finished, "start")
    mark(logged_in_client, finished, "finish")
    page = logged_in_client.get(reverse("home"))
    row = next(row for row in page.context["rows"] if row.key == "continue")
    assert [card.title.pk for card in row.cards] == [started.pk]
    assert b"Continue watching" in page.content
    assert Viewing.objects.get(user=user, title=finished).finished_at is not None


def test_title_page_shows_where_the_user_stands(logged_in_client, catalog):
    title = catalog["action"][0]
    mark(logged_in_client, title, "start")
    assert b"In Continue watching: 0% watched" in logged_in_client.get(title.get_absolute_url()).content
    mark(logged_in_client, title, "finish")
    assert b"You finished this on" in logged_in_client.get(title.get_absolute_url()).content


def test_no_continue_row_for_a_user_who_watched_nothing(logged_in_client, catalog):
    page = logged_in_client.get(reverse("home"))
    assert all(row.key != "continue" for row in page.context["rows"])


def test_history_page_lists_my_events_only(logged_in_client, user, other_user, catalog):
    now = timezone.now()
    record_events(user=user, items=[EventInput(catalog["action"][0].pk, "start", 0, 100, "a", now)])
    record_events(user=other_user, items=[EventInput(catalog["action"][1].pk, "start", 0, 100, "b", now)])
    page = logged_in_client.get(reverse("ratings:watch-history"))
    assert page.status_code == 200
    assert catalog["action"][0].name.encode() in page.content
    assert catalog["action"][1].name.encode() not in page.content


def test_history_page_empty_state(logged_in_client, db):
    assert b"Nothing watched yet" in logged_in_client.get(reverse("ratings:watch-history")).content


def test_delete_one_entry(logged_in_client, user, other_user, catalog):
    now = timezone.now()
    record_events(user=user, items=[EventInput(catalog["action"][0].pk, "start", 0, 100, "a", now)])
    record_events(user=other_user, items=[EventInput(catalog["action"][0].pk, "start", 0, 100, "b", now)])
    theirs = WatchEvent.objects.get(user=other_user)
    logged_in_client.post(reverse("ratings:watch-event-delete", args=[theirs.pk]))
    assert WatchEvent.objects.filter(pk=theirs.pk).exists()
    mine = WatchEvent.objects.get(user=user)
    response = logged_in_client.post(reverse("ratings:watch-event-delete", args=[mine.pk]))
    assert response.status_code == 302
    assert not WatchEvent.objects.filter(user=user).exists() and not Viewing.objects.filter(user=user).exists()


def test_pause_stops_recording_and_resume_starts_it_again(logged_in_client, user, catalog):
    logged_in_client.post(reverse("ratings:watch-pause"), {"paused": "1"})
    assert Preference.objects.get(user=user).watch_history_paused
    mark(logged_in_client, catalog["action"][0], "start")
    assert not WatchEvent.objects.exists()
    assert b"paused" in logged_in_client.get(reverse("ratings:watch-history")).content
    logged_in_client.post(reverse("ratings:watch-pause"), {"paused": "0"})
    mark(logged_in_client, catalog["action"][0], "start")
    assert WatchEvent.objects.filter(user=user).count() == 1


def test_clear_needs_the_box_ticked(logged_in_client, user, catalog):
    mark(logged_in_client, catalog["action"][0], "start")
    logged_in_client.post(reverse("ratings:watch-clear"))
    assert WatchEvent.objects.filter(user=user).count() == 1
    logged_in_client.post(reverse("ratings:watch-clear"), {"confirm": "yes"})
    assert not WatchEvent.objects.filter(user=user).exists() and not Viewing.objects.filter(user=user).exists()


def test_someone_who_only_watches_gets_personal_lists(user, trained):
    now = timezone.now() - datetime.timedelta(minutes=1)
    action, romance = trained["action"], trained["romance"]
    events = [EventInput(t.pk, "finish", 5400, 5400, f"f{t.pk}", now) for t in action[:4]]
    events += [EventInput(t.pk, "progress", 300, 5400, f"a{t.pk}", now - datetime.timedelta(days=9)) for t in romance[:2]]
    record_events(user=user, items=events)
    picks = recommendations_for(user, n=5)
    assert picks and all(pick.personalized for pick in picks)
    watched = {t.pk for t in action[:4] + romance[:2]}
    assert not watched & {pick.title.pk for pick in picks}  # watched titles are not recommended again
    assert sum(pick.title in action for pick in picks) >= 4  # an action fan by watching alone
    named = [pick.because for pick in picks if pick.because is not None]
    assert named and all(because.watched and "Because you watched" in str(because) for because in named)


def test_finishing_moves_the_list_at_once(user, trained):
    for title in trained["action"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    before = [pick.title.pk for pick in recommendations_for(user, n=5)]
    record_events(user=user, items=[EventInput(before[0], "finish", 100, 100, "done", timezone.now())])
    assert before[0] not in [pick.title.pk for pick in recommendations_for(user, n=5)]
