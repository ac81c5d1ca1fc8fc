"""The weekly digest, "New on your services for you": its content through the recommendation
pipeline, batches mailed to a real SMTP server (aiosmtpd), once per user and week, one-click
unsubscribe, runs in admin. Tasks run in-process here; tests/test_email_worker.py runs them in a
real Celery worker."""
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Availability, Title
from recommender import digest
from recommender.models import DigestDelivery, DigestRun
from streamrec.models import EmailPreference
from streamrec.outbox import enqueue

from .conftest import PASSWORD
from .digest_fixtures import subscriber, trained_arrivals
from .email_fixtures import mailbox, smtp_server  # noqa: F401
from .smtp import html_of, link_in, text_of

User = get_user_model()


@pytest.fixture
def arrivals(db):
    return trained_arrivals()


def run_digest(capture) -> None:
    """The beat task, as beat starts it; its batches are queued when its transaction commits."""
    with capture(execute=True):
        enqueue("recommender.tasks.send_weekly_digest")


def test_content_is_the_pipelines_picks_among_this_weeks_arrivals(arrivals):
    fan = subscriber("fan", arrivals)
    picks = digest.new_for_you(fan, since=timezone.localdate() - timedelta(days=7))
    assert len(picks) == digest.DIGEST_TITLES
    assert {pick.title.pk for pick in picks} <= arrivals["new_ids"]
    assert all(pick.personalized for pick in picks)
    romance = {t.pk for t in arrivals["romance"]}
    assert [pick.title.pk in romance for pick in picks[:3]] == [True] * 3  # the fan's taste first


def test_content_keeps_to_the_subscribers_services(arrivals):
    """Someone who chose their services hears only of arrivals on them, whatever the site's switch."""
    from catalog.models import Platform
    from catalog.services import set_services_everything, set_streaming_services

    disney = Platform.objects.create(slug="disney-plus", name="Disney+")
    on_disney = arrivals["romance"][5:9] + arrivals["action"][6:8]
    for title in on_disney:
        Availability.objects.create(title=title, platform=disney, platform_item_id=f"d{title.pk}", date_added=timezone.localdate() - timedelta(days=1))
    fan = subscriber("fan", arrivals)
    set_streaming_services(user=fan, slugs=["disney-plus"])
    set_services_everything(user=fan, everything=True)
    picks = digest.new_for_you(fan, since=timezone.localdate() - timedelta(days=7))
    assert picks and {pick.title.pk for pick in picks} <= {t.pk for t in on_disney}
    assert picks[0].title in arrivals["romance"]  # still the fan's taste first


def test_a_title_new_to_the_catalog_counts_as_new_and_one_announced_for_later_does_not(arrivals):
    from catalog.selectors import TitleFilters, title_ids_matching

    since = timezone.localdate() - timedelta(days=7)
    fresh = Title.objects.create(name="Fresh Import", year=2026)
    later = arrivals["action"][0]
    Availability.objects.filter(title=later).update(date_added=timezone.localdate() + timedelta(days=10))
    ids = set(title_ids_matching(TitleFilters(added_since=since)).tolist())
    assert fresh.pk in ids and later.pk not in ids
    assert ids == arrivals["new_ids"] | {fresh.pk}


def test_digest_goes_to_confirmed_subscribers_once_per_week_even_when_run_twice(arrivals, mailbox, django_capture_on_commit_callbacks):
    first, second = subscriber("ann", arrivals), subscriber("ben", arrivals)
    subscriber("unconfirmed", arrivals, confirmed=False)
    subscriber("not-opted-in", arrivals, opted_in=False)

    run_digest(django_capture_on_commit_callbacks)
    run_digest(django_capture_on_commit_callbacks)

    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == ["ann@example.org", "ben@example.org"]
    mail = mailbox.to("ann@example.org")[0]
    assert mail["Subject"].startswith("New on your services for you: 6 picks")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(mail["List-Unsubscribe"]).strip().startswith("<http://testserver/accounts/unsubscribe/")
    names = {t.name for t in Title.objects.filter(pk__in=arrivals["new_ids"])}
    listed = [name for name in names if name in text_of(mail)]
    assert len(listed) == 6 and all(name in html_of(mail) for name in listed)
    old = {t.name for t in Title.objects.exclude(pk__in=arrivals["new_ids"])}
    assert not any(f"{name} (" in text_of(mail) for name in old)

    first_run, second_run = DigestRun.objects.order_by("pk")
    assert (first_run.subscribers, first_run.sent, first_run.skipped, first_run.failed) == (2, 2, 0, 0)
    assert (second_run.subscribers, second_run.sent, second_run.skipped, second_run.batches) == (2, 0, 2, 0)
    assert first_run.finished_at and second_run.finished_at
    assert set(DigestDelivery.objects.values_list("user__username", "status", "titles")) == {("ann", "sent", 6), ("ben", "sent", 6)}
    assert first.pk != second.pk


def test_next_week_they_get_the_next_digest(arrivals, mailbox, django_capture_on_commit_callbacks):
    subscriber("ann", arrivals)
    with django_capture_on_commit_callbacks(execute=True):
        digest.start_run(timezone.now() - timedelta(days=7))
    run_digest(django_capture_on_commit_callbacks)
    assert len(mailbox.to("ann@example.org")) == 2
    assert DigestDelivery.objects.filter(user__username="ann").count() == 2


def test_nothing_new_means_no_mail(arrivals, mailbox, django_capture_on_commit_callbacks):
    subscriber("ann", arrivals)
    Availability.objects.update(date_added=timezone.localdate() - timedelta(days=90))
    run_digest(django_capture_on_commit_callbacks)
    assert mailbox.messages == []
    run = DigestRun.objects.get()
    assert (run.sent, run.empty) == (0, 1) and run.finished_at


def test_one_click_unsubscribe_from_the_link_and_from_the_mail_client(arrivals, mailbox, django_capture_on_commit_callbacks):
    ann, ben = subscriber("ann", arrivals), subscriber("ben", arrivals)
    run_digest(django_capture_on_commit_callbacks)
    page = Client().get(link_in(mailbox.to("ann@example.org")[0], "/accounts/unsubscribe/"))
    assert page.status_code == 200 and b"You are unsubscribed" in page.content
    assert not EmailPreference.objects.get(user=ann).weekly_digest

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL, without any CSRF token.
    header_url = str(mailbox.to("ben@example.org")[0]["List-Unsubscribe"]).strip().strip("<>").replace("http://testserver", "")
    posted = Client(enforce_csrf_checks=True).post(header_url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert posted.status_code == 200
    assert not EmailPreference.objects.get(user=ben).weekly_digest

    with django_capture_on_commit_callbacks(execute=True):
        digest.start_run(timezone.now() + timedelta(days=7))
    assert len(mailbox.messages) == 2  # nobody is mailed next week


def test_a_forged_unsubscribe_link_changes_nothing(arrivals):
    ann = subscriber("ann", arrivals)
    response = Client().get(reverse("email-unsubscribe", args=[f"{ann.pk}:forged"]))
    assert response.status_code == 400
    assert EmailPreference.objects.get(user=ann).weekly_digest


def test_a_busy_smtp_server_gets_the_batch_again(arrivals, mailbox, django_capture_on_commit_callbacks):
    subscriber("ann", arrivals)
    subscriber("ben", arrivals)
    mailbox.fail_next(1)
    run_digest(django_capture_on_commit_callbacks)
    assert mailbox.refused == 1
    assert sorted(m["X-Envelope-To"] for m in mailbox.messages) == ["ann@example.org", "ben@example.org"]
    run = DigestRun.objects.get()
    assert (run.sent, run.failed) == (2, 0)
    assert DigestDelivery.objects.filter(attempts=2).count() == 1


def test_admin_shows_digest_runs_with_their_counts(arrivals, mailbox, django_capture_on_commit_callbacks):
    subscriber("ann", arrivals)
    run_digest(django_capture_on_commit_callbacks)
    User.objects.create_user("staffer", password=PASSWORD, is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(User.objects.get(username="staffer"))
    page = staff.get("/admin/recommender/digestrun/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "subscribers" in body.lower() and 'class="field-sent">1<' in body
    assert staff.get("/admin/recommender/digestdelivery/").status_code == 200
    assert Client().get("/admin/recommender/digestrun/").status_code == 302


def test_a_digest_that_cannot_be_made_stops_no_one_elses(arrivals, mailbox, django_capture_on_commit_callbacks, monkeypatch):
    ann, ben = subscriber("ann", arrivals), subscriber("ben", arrivals)
    made = digest.new_for_you

    def broken_for_ann(user, **options):
        if user.pk == ann.pk:
            raise RuntimeError("fault injected: no list for ann")
        return made(user, **options)

    monkeypatch.setattr(digest, "new_for_you", broken_for_ann)
    run_digest(django_capture_on_commit_callbacks)
    assert [m["X-Envelope-To"] for m in mailbox.messages] == ["ben@example.org"]
    run = DigestRun.objects.get()
    assert (run.sent, run.failed) == (1, 1) and run.finished_at
    assert DigestDelivery.objects.get(user=ann).status == "failed"
    assert ben.pk != ann.pk
