import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .mail import SEND_ERRORS, Undeliverable, confirmation_token, deliver, message, site_url
from .outbox import flush_outbox
from .throttles import address_allows

logger = logging.getLogger(__name__)

# Every task that sends mail: an SMTP or socket failure is tried again later, with growing waits
# (by default up to 30 s, 1 min, 2 min, ... at most 30 min apart: about 2 hours in all), then given up.
MAIL_RETRIES = {"bind": True, "autoretry_for": SEND_ERRORS, "retry_backoff": settings.EMAIL_RETRY_SECONDS,
                "retry_backoff_max": 1800, "retry_jitter": True, "max_retries": 8}


@shared_task(name="streamrec.tasks.flush_outbox")
def send_queued_tasks() -> int:
    """Send the tasks kept while the broker was down."""
    return flush_outbox()


@worker_ready.connect
def send_queued_tasks_on_start(sender=None, **kwargs):
    send_queued_tasks.delay()


@shared_task(name="streamrec.tasks.send_address_confirmation", **MAIL_RETRIES)
def send_address_confirmation(self, user_id: int, address: str) -> str:
    """Mail ``address`` a signed link that confirms it for ``user_id``'s account, unless the
    account has another address by now (the link would not confirm it anyway)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email != address:
        return "address changed"
    link = site_url(reverse("email-confirm", args=[confirmation_token(user.pk, address)]))
    try:
        deliver(message("confirm_address", {"user": user, "link": link}, address))
    except Undeliverable as refusal:
        logger.warning("confirmation mail for user %s refused: %s", user_id, refusal)
        return "refused"
    return "sent"


@shared_task(name="streamrec.tasks.send_password_reset", **MAIL_RETRIES)
def send_password_reset(self, email: str) -> int:
    """Mail each active account with ``email`` (and a usable password) a link to set a new password,
    made with Django's token generator: it stops working once the password changes, so it works
    once. The page that asked answers the same whether or not any account has the address; the
    number of mails per address is bounded (the ``reset_mail`` rate). Returns the mails sent."""
    if self.request.retries == 0 and not address_allows("reset_mail", email):
        logger.info("password reset mail not sent: the address's hourly budget is spent")
        return 0
    sent = 0
    for user in PasswordResetForm().get_users(email):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = site_url(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)}))
        try:
            deliver(message("password_reset", {"user": user, "link": link}, user.email))
            sent += 1
        except Undeliverable as refusal:
            logger.warning("password reset mail for user %s refused: %s", user.pk, refusal)
    return sent
