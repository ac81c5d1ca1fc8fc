"""Mail the site sends: messages made from templates (plain text plus HTML), the signed links in
them, and delivery that tells a failure worth retrying from one that is not.

Only Celery tasks call ``deliver`` (streamrec.tasks, recommender.tasks): a web request never talks
to an SMTP server. Messages are rendered in the worker too, so no reset token or signed link
travels through the broker or waits in the outbox table.
"""
import logging
import smtplib

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)

CONFIRM_SALT = "streamrec.email.confirm"
UNSUBSCRIBE_SALT = "streamrec.email.unsubscribe"
# A confirmation link is good for three days; a newer one can be sent from the account page.
CONFIRM_MAX_AGE = 3 * 24 * 3600

# What sending can raise: SMTP errors (a 4xx answer is worth retrying, a 5xx one is not, see
# ``permanent``) and socket errors (server down or unreachable: retried).
SEND_ERRORS = (smtplib.SMTPException, OSError)


def site_url(path: str) -> str:
    """``path`` on the site as a person reaches it (``SITE_URL``)."""
    return f"{settings.SITE_URL}{path}"


def confirmation_token(user_id: int, address: str) -> str:
    return signing.dumps({"user": user_id, "address": address}, salt=CONFIRM_SALT, compress=True)


def read_confirmation_token(token: str) -> tuple[int, str]:
    """(user id, address); raises ``signing.SignatureExpired`` or ``signing.BadSignature``."""
    payload = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    return int(payload["user"]), str(payload["address"])


def unsubscribe_token(user_id: int) -> str:
    """Never expires: the link in a mail read months later still unsubscribes."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user_id))


def read_unsubscribe_token(token: str) -> int:
    """The user id; raises ``signing.BadSignature``."""
    return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))


def unsubscribe_url(user_id: int) -> str:
    return site_url(reverse("email-unsubscribe", args=[unsubscribe_token(user_id)]))


def message(template: str, context: dict, to: str, headers: dict | None = None, connection=None) -> EmailMultiAlternatives:
    """A mail from ``templates/email/<template>``: ``.subject.txt``, ``.txt`` and ``.html``, in the
    site's language (one for now; a user's own once the site has more)."""
    context = {"site_url": settings.SITE_URL, "account_url": site_url(reverse("account")), **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"email/{template}.subject.txt", context).split())
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
    mail = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {}, connection=connection)
    mail.attach_alternative(html, "text/html")
    return mail


class Undeliverable(Exception):
    """The server refused the mail for good (5xx): trying again will not help."""


def permanent(error: Exception) -> bool:
    """A 5xx answer (not 4xx, not a dropped connection)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500 and not isinstance(error, smtplib.SMTPServerDisconnected)


def deliver(mail: EmailMultiAlternatives) -> None:
    """Send one mail (its own connection, or the one it was made with). Raises ``Undeliverable``
    on a permanent refusal, and the SMTP or socket error itself on a transient one (the task retries)."""
    try:
        mail.send(fail_silently=False)
    except SEND_ERRORS as error:
        if permanent(error):
            raise Undeliverable(str(error)) from error
        raise


def open_connection():
    """One SMTP connection for a batch of mails (``EMAIL_BACKEND`` and the ``EMAIL_*`` settings)."""
    connection = get_connection(fail_silently=False)
    connection.open()
    return connection
