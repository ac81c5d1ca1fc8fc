"""Email addresses and password reset, through a real SMTP server (aiosmtpd, tests/smtp.py).

Tasks run in-process here (no broker: the embedded default); tests/test_email_worker.py sends the
same mail from a real Celery worker."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from streamrec.mail import confirmation_token
from streamrec.models import EmailPreference
from streamrec.selectors import digest_subscribers, email_status

from .conftest import PASSWORD
from .email_fixtures import mailbox, rates, smtp_server  # noqa: F401
from .smtp import html_of, link_in, text_of

User = get_user_model()
NEW_PASSWORD = "An0ther-good-one!"


def sign_up(client, captured, username="carol", email="carol@example.org"):
    with captured(execute=True):
        return client.post(reverse("signup"), {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD})


# --- sign-up and confirmation ---------------------------------------------------------------------


def test_sign_up_with_an_address_mails_a_confirmation_link_that_confirms_it(db, client, mailbox, django_capture_on_commit_callbacks):
    response = sign_up(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == reverse("recommender:onboarding")
    user = User.objects.get(username="carol")
    assert user.email == "carol@example.org" and not email_status(user).confirmed

    [mail] = mailbox.wait_for("carol@example.org")
    assert mail["Subject"] == "Confirm your email address for StreamRec"
    assert "carol@example.org" in text_of(mail) and "Confirm my address" in html_of(mail)
    path = link_in(mail, "/accounts/confirm-email/")
    page = client.get(path)
    assert page.status_code == 200 and b"Address confirmed" in page.content
    assert email_status(user).confirmed
    assert EmailPreference.objects.get(user=user).confirmed_address == "carol@example.org"


def test_sign_up_without_an_address_sends_nothing(db, client, mailbox, django_capture_on_commit_callbacks):
    response = sign_up(client, django_capture_on_commit_callbacks, email="")
    assert response.status_code == 302
    assert User.objects.get(username="carol").email == ""
    assert mailbox.messages == []


def test_sign_up_refuses_a_malformed_address(db, client, mailbox, django_capture_on_commit_callbacks):
    response = sign_up(client, django_capture_on_commit_callbacks, email="not-an-address")
    assert response.status_code == 400 and not User.objects.filter(username="carol").exists()
    assert b"valid email address" in response.content


def test_a_forged_or_stale_confirmation_link_confirms_nothing(client, user, mailbox):
    user.email = "new@example.org"
    user.save()
    stale = confirmation_token(user.pk, "old@example.org")
    response = client.get(reverse("email-confirm", args=[stale]))
    assert response.status_code == 400 and b"no longer on the account" in response.content
    forged = confirmation_token(user.pk, "new@example.org")[:-2] + "xx"
    response = client.get(reverse("email-confirm", args=[forged]))
    assert response.status_code == 400 and b"not valid" in response.content
    assert not email_status(user).confirmed


def test_an_expired_confirmation_link_says_so(client, user, monkeypatch):
    import streamrec.mail

    user.email = "alice@example.org"
    user.save()
    token = confirmation_token(user.pk, user.email)
    monkeypatch.setattr(streamrec.mail, "CONFIRM_MAX_AGE", -1)  # every link is older than that
    response = client.get(reverse("email-confirm", args=[token]))
    assert response.status_code == 400 and b"expired" in response.content
    assert not email_status(user).confirmed


# --- the account page -------------------------------------------------------------------------------


def test_account_page_changes_the_address_and_it_needs_confirming_again(logged_in_client, user, mailbox, django_capture_on_commit_callbacks):
    user.email = "alice@example.org"
    user.save()
    EmailPreference.objects.create(user=user, confirmed_address="alice@example.org", weekly_digest=True)
    assert list(digest_subscribers()) == [user]

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("email-change"), {"email": "Alice.New@Example.ORG"})
    assert response.status_code == 302 and response.url == reverse("account")
    user.refresh_from_db()
    assert user.email == "Alice.New@example.org"  # the domain is case-insensitive, the local part is not
    assert not email_status(user).confirmed
    assert list(digest_subscribers()) == []  # no digest to an unconfirmed address
    [mail] = mailbox.wait_for("Alice.New@example.org")
    page = logged_in_client.get(reverse("account"))
    assert b"not confirmed yet" in page.content and b"It starts once your address is confirmed" in page.content

    logged_in_client.get(link_in(mail, "/accounts/confirm-email/"))
    assert list(digest_subscribers()) == [user]
    assert b"confirmed</span>" in logged_in_client.get(reverse("account")).content


def test_resend_and_remove_the_address(logged_in_client, user, mailbox, django_capture_on_commit_callbacks):
    user.email = "alice@example.org"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert logged_in_client.post(reverse("email-resend")).status_code == 302
    mailbox.wait_for("alice@example.org")
    response = logged_in_client.post(reverse("email-change"), {"email": ""}, follow=True)
    user.refresh_from_db()
    assert user.email == "" and b"cannot be reset" in response.content


def test_a_bad_address_on_the_account_page_is_refused(logged_in_client, user):
    response = logged_in_client.post(reverse("email-change"), {"email": "nope"}, follow=True)
    user.refresh_from_db()
    assert user.email == "" and b"not an email address" in response.content


def test_digest_opt_in_and_out_on_the_account_page(logged_in_client, user):
    assert logged_in_client.post(reverse("email-digest"), {"weekly_digest": "on"}).status_code == 302
    assert EmailPreference.objects.get(user=user).weekly_digest
    logged_in_client.post(reverse("email-digest"), {})
    assert not EmailPreference.objects.get(user=user).weekly_digest


@pytest.mark.parametrize("name", ["email-change", "email-resend", "email-digest"])
def test_email_settings_need_a_signed_in_post(logged_in_client, name):
    from django.test import Client

    anonymous = Client().post(reverse(name))
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert logged_in_client.get(reverse(name)).status_code == 405


def test_address_changes_are_throttled_per_account(logged_in_client, user, settings, mailbox):
    rates(settings, email="2/hour")
    for number in range(2):
        assert logged_in_client.post(reverse("email-change"), {"email": f"a{number}@example.org"}).status_code == 302
    refused = logged_in_client.post(reverse("email-change"), {"email": "a9@example.org"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    user.refresh_from_db()
    assert user.email == "a1@example.org"


# --- password reset ---------------------------------------------------------------------------------


def request_reset(client, address):
    return client.post(reverse("password_reset"), {"email": address})


def test_password_reset_link_arrives_and_works_once(client, user, mailbox):
    user.email = "alice@example.org"
    user.save()
    assert client.get("/accounts/password_reset/").status_code == 200
    response = request_reset(client, "ALICE@example.org")  # addresses match whatever their case
    assert response.status_code == 302 and response.url == "/accounts/password_reset/done/"
    [mail] = mailbox.wait_for("alice@example.org")
    assert mail["Subject"] == "Reset your StreamRec password" and "works once" in text_of(mail)
    assert "Choose a new password" in html_of(mail)
    path = link_in(mail, "/accounts/reset/")

    form = client.get(path, follow=True)  # Django moves the token out of the URL, into the session
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.login(username="alice", password=NEW_PASSWORD)
    client.logout()

    again = client.get(path, follow=True)  # the same link a second time
    assert again.status_code == 200 and not again.context["validlink"]
    assert b"This link no longer works" in again.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_answers_the_same_for_an_unknown_address(client, user, mailbox):
    user.email = "alice@example.org"
    user.save()
    known, unknown = request_reset(client, "alice@example.org"), request_reset(client, "nobody@example.org")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert client.get(known.url).content == client.get(unknown.url).content
    mailbox.wait_for("alice@example.org")
    assert mailbox.to("nobody@example.org") == []
    assert len(mailbox.messages) == 1


def test_password_reset_requests_are_throttled_per_ip(client, user, settings, mailbox):
    rates(settings, email="3/hour")
    for _ in range(3):
        assert request_reset(client, "someone@example.org").status_code == 302
    refused = request_reset(client, "someone@example.org")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert client.get(reverse("password_reset")).status_code == 200  # the form itself stays reachable


def test_reset_mails_to_one_address_are_bounded_whoever_asks(user, settings, mailbox):
    from django.test import Client

    rates(settings, reset_mail="2/hour")
    user.email = "alice@example.org"
    user.save()
    for number in range(4):  # four clients: the per-IP budget is not what stops them
        assert request_reset(Client(REMOTE_ADDR=f"10.0.0.{number}"), "alice@example.org").status_code == 302
    mailbox.wait_for("alice@example.org", 2)
    assert len(mailbox.to("alice@example.org")) == 2


def test_no_reset_for_an_inactive_account(client, user, mailbox):
    user.email, user.is_active = "alice@example.org", False
    user.save()
    assert request_reset(client, "alice@example.org").status_code == 302
    assert mailbox.messages == []


def test_login_page_links_to_the_reset(client):
    assert reverse("password_reset").encode() in client.get(reverse("login")).content


# --- delivery: retried on SMTP failure, never lost by the request --------------------------------------------


def test_a_busy_smtp_server_is_tried_again(client, user, mailbox):
    user.email = "alice@example.org"
    user.save()
    mailbox.fail_next(1)  # 451 once, then accepted (tests/test_email_worker.py: retries in a worker)
    assert request_reset(client, "alice@example.org").status_code == 302
    assert len(mailbox.wait_for("alice@example.org")) == 1
    assert mailbox.refused == 1


def test_with_the_smtp_server_down_the_pages_still_answer(client, user, smtp_server, django_capture_on_commit_callbacks):
    smtp_server.stop()
    user.email = "alice@example.org"
    user.save()
    assert request_reset(client, "alice@example.org").status_code == 302
    assert sign_up(client, django_capture_on_commit_callbacks).status_code == 302
    assert User.objects.filter(username="carol").exists()
