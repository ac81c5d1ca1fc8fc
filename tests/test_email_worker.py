"""Mail as production sends it: pages and beat queue tasks on a broker (a private redis-server), a
real Celery worker process sends them to a real SMTP server (aiosmtpd), configured only through
the environment (EMAIL_HOST, EMAIL_PORT). The Bar of issue 21: a reset mail whose link works once,
a confirmation mail and a digest; the digest task run twice mails each subscriber once."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from recommender.models import DigestDelivery, DigestRun
from streamrec.celery import app as celery_app
from streamrec.outbox import enqueue
from streamrec.selectors import email_status

from .conftest import PASSWORD
from .digest_fixtures import subscriber, trained_arrivals
from .email_fixtures import mailbox, smtp_server  # noqa: F401
from .processes import wait_for
from .smtp import link_in, text_of

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

User = get_user_model()
NEW_PASSWORD = "An0ther-good-one!"


@pytest.fixture
def mail_worker(sending_to_broker, smtp_server, start_worker):
    """A worker on the site's queue, sending mail to ``smtp_server`` (retries after about a second)."""
    env = {**smtp_server.env, "STREAMREC_EMAIL_RETRY_SECONDS": "1", "STREAMREC_SITE_URL": "http://testserver"}
    return lambda: start_worker(sending_to_broker.url, queue=celery_app.conf.task_default_queue, **env)


def test_confirmation_and_reset_mails_come_from_the_worker_and_the_reset_link_works_once(client, mailbox, mail_worker):
    signed_up = client.post(reverse("signup"), {"username": "carol", "email": "carol@example.org", "password1": PASSWORD, "password2": PASSWORD})
    assert signed_up.status_code == 302
    client.logout()
    assert client.post(reverse("password_reset"), {"email": "carol@example.org"}).status_code == 302
    assert mailbox.messages == []  # the requests only queued tasks: no SMTP inside a web request

    worker = mail_worker()
    confirmation, reset = sorted(mailbox.wait_for("carol@example.org", 2), key=lambda m: "reset" in m["Subject"])
    assert confirmation["Subject"] == "Confirm your email address for StreamRec"
    assert client.get(link_in(confirmation, "/accounts/confirm-email/")).status_code == 200
    user = User.objects.get(username="carol")
    assert email_status(user).confirmed

    assert reset["Subject"] == "Reset your StreamRec password"
    path = link_in(reset, "/accounts/reset/")
    form = client.get(path, follow=True)
    assert form.context["validlink"]
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not client.get(path, follow=True).context["validlink"]  # once
    assert "Traceback" not in worker.output()


def test_digest_task_run_twice_mails_each_subscriber_once_even_through_an_smtp_failure(mailbox, mail_worker):
    arrivals = trained_arrivals()
    subscribers = [subscriber(name, arrivals) for name in ("ann", "ben", "cat")]
    subscriber("unconfirmed", arrivals, confirmed=False)
    mailbox.fail_next(1)  # the first mail meets a busy server (451): its batch is retried

    enqueue("recommender.tasks.send_weekly_digest")
    enqueue("recommender.tasks.send_weekly_digest")
    worker = mail_worker()
    wait_for(lambda: DigestRun.objects.filter(finished_at__isnull=False).count() == 2, 120, "both digest runs to finish")

    addresses = sorted(m["X-Envelope-To"] for m in mailbox.messages)
    assert addresses == [f"{user.username}@example.org" for user in subscribers]
    assert mailbox.refused == 1
    digest = mailbox.to("ann@example.org")[0]
    assert digest["Subject"].startswith("New on your services for you") and "Unsubscribe with one click" in text_of(digest)
    assert digest.get_body(preferencelist=("html",)) is not None and digest["List-Unsubscribe"]
    runs = list(DigestRun.objects.order_by("pk"))
    assert sum(run.sent for run in runs) == 3 and sum(run.failed for run in runs) == 0
    assert all(run.subscribers == 3 and run.done == 3 for run in runs)
    assert DigestDelivery.objects.filter(status="sent").count() == 3
    assert "Traceback" not in worker.output()
    print(f"digest runs: {[(run.pk, run.sent, run.skipped, run.failed) for run in runs]}; smtp refusals {mailbox.refused}")
