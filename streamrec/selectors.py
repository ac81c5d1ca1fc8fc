"""Reads about accounts (the writes are in ``streamrec.accounts``)."""
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet

from .models import EmailPreference

User = get_user_model()


@dataclass(frozen=True)
class EmailStatus:
    address: str  # "" when the account has none
    confirmed: bool
    weekly_digest: bool

    @property
    def gets_digest(self) -> bool:
        return self.weekly_digest and self.confirmed


def email_status(user) -> EmailStatus:
    preference = EmailPreference.objects.filter(user=user).first()
    confirmed = bool(user.email) and preference is not None and preference.confirmed_address == user.email
    return EmailStatus(address=user.email, confirmed=confirmed, weekly_digest=bool(preference and preference.weekly_digest))


def digest_subscribers() -> QuerySet:
    """Active accounts that opted in to the weekly digest and confirmed the address they have now."""
    return User.objects.filter(
        is_active=True, email_preference__weekly_digest=True, email=F("email_preference__confirmed_address"),
    ).exclude(email="")
