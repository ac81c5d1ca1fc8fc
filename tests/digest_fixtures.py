"""A catalog where some titles arrived on a platform this week, and digest subscribers."""
from datetime import timedelta

from django.utils import timezone

from catalog.models import Availability, Platform, Title
from ratings.models import Rating
from streamrec.models import EmailPreference

from .conftest import build_taste_catalog, make_user

NEW_ROMANCE = slice(3, 9)  # romance titles 3..8 arrived this week; the fan rated 0..2
NEW_ACTION = slice(3, 9)


def arrivals_catalog() -> dict:
    """The taste catalog, known to the site for two months; six romance and six action titles
    were added to a platform this week, the rest long ago. A model is trained."""
    catalog = build_taste_catalog()
    long_ago = timezone.now() - timedelta(days=60)
    Title.objects.update(created_at=long_ago)
    netflix = Platform.objects.create(slug="netflix", name="Netflix")
    today = timezone.localdate()
    new_ids = {t.pk for t in catalog["romance"][NEW_ROMANCE]} | {t.pk for t in catalog["action"][NEW_ACTION]}
    for title in catalog["romance"] + catalog["action"]:
        added = today - timedelta(days=2) if title.pk in new_ids else today - timedelta(days=90)
        Availability.objects.create(title=title, platform=netflix, platform_item_id=f"s{title.pk}", date_added=added)
    catalog["new_ids"] = new_ids
    return catalog


def subscriber(username: str, catalog: dict, confirmed: bool = True, opted_in: bool = True):
    """A romance fan with an address, opted in (or not) and confirmed (or not)."""
    user = make_user(username)
    user.email = f"{username}@example.org"
    user.save()
    EmailPreference.objects.create(user=user, weekly_digest=opted_in, confirmed_address=user.email if confirmed else "")
    for title in catalog["romance"][:3]:
        Rating.objects.create(user=user, title=title, score=5.0)
    for title in catalog["action"][:3]:
        Rating.objects.create(user=user, title=title, score=0.5)
    return user


def trained_arrivals() -> dict:
    from recommender.training import train_model_version

    catalog = arrivals_catalog()
    assert train_model_version().activated
    return catalog

