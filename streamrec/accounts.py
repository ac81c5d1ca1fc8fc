"""Writes to accounts: sign-up shared by the web form and the API, the account's email address
(confirmed by a signed link) and its choice about the weekly digest."""
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from .mail import read_confirmation_token, read_unsubscribe_token
from .models import EmailPreference
from .outbox import enqueue

User = get_user_model()


def register_user(*, username: str, password: str, email: str = ""):
    """Create an account after Django's username and password validation; an address given is
    sent a confirmation link."""
    username = (username or "").strip()
    email = clean_address(email)
    candidate = User(username=username, email=email)
    candidate.full_clean(exclude=["password"])
    password_validation.validate_password(password, user=candidate)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password, email=email)
    except IntegrityError:
        raise ValidationError({"username": ["A user with that username already exists."]}) from None
    if email:
        send_confirmation(user)
    return user


def clean_address(email: str | None) -> str:
    """The address as stored (domain lower-cased), or "" for none; raises ``ValidationError``."""
    email = User.objects.normalize_email((email or "").strip())
    if email:
        validate_email(email)
        if len(email) > User._meta.get_field("email").max_length:
            raise ValidationError("That address is too long.")
    return email


def send_confirmation(user) -> None:
    """Mail ``user``'s current address a signed confirmation link, from a worker, once the
    transaction that stored the address commits."""
    user_id, address = user.pk, user.email
    transaction.on_commit(lambda: enqueue("streamrec.tasks.send_address_confirmation", user_id, address))


def set_email(user, email: str | None) -> bool:
    """Change ``user``'s address (``""`` removes it); a new one is sent a confirmation link and
    gets no digest until it is confirmed. Returns whether anything changed."""
    email = clean_address(email)
    if email == user.email:
        return False
    with transaction.atomic():
        user.email = email
        user.save(update_fields=["email"])
        # Resetting the confirmation is not needed for safety (the digest compares the two
        # addresses) but keeps what admin shows true.
        EmailPreference.objects.filter(user=user).update(confirmed_address="", confirmed_at=None)
        if email:
            send_confirmation(user)
    return True


class ConfirmationError(Exception):
    """A confirmation link that cannot confirm: ``reason`` is what to tell the person."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def confirm_address(token: str):
    """Mark the address a confirmation link was sent to as confirmed; returns the user. Raises
    ``ConfirmationError`` for a forged or expired link, or one for an address the account no
    longer has."""
    try:
        user_id, address = read_confirmation_token(token)
    except signing.SignatureExpired:
        raise ConfirmationError("This link has expired. Send yourself a new one from your account page.") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ConfirmationError("This link is not valid. Check that you copied all of it.") from None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email != address:
        raise ConfirmationError("This link is for an address that is no longer on the account.")
    EmailPreference.objects.update_or_create(user=user, defaults={"confirmed_address": address, "confirmed_at": timezone.now()})
    return user


def set_weekly_digest(user, wanted: bool) -> None:
    EmailPreference.objects.update_or_create(user=user, defaults={"weekly_digest": bool(wanted)})


def unsubscribe(token: str):
    """Turn the weekly digest off for the account a signed unsubscribe link names; returns the user.
    Raises ``signing.BadSignature`` for a forged link and ``User.DoesNotExist`` for a deleted account."""
    user = User.objects.get(pk=read_unsubscribe_token(token))
    set_weekly_digest(user, False)
    return user
