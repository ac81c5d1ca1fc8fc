"""This app's part of a person's data export (``ratings.personal_data``): their email settings."""
from .models import EmailPreference

EXPORTED = {"streamrec.EmailPreference": "email"}


def personal_data_part(user) -> dict:
    preference = EmailPreference.objects.filter(user=user).first()
    return {"email": {
        "confirmed_address": preference.confirmed_address if preference else "",
        "confirmed_at": preference.confirmed_at.isoformat() if preference and preference.confirmed_at else None,
        "weekly_digest": preference.weekly_digest if preference else False,
    }}
