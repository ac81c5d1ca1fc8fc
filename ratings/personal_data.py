"""Everything StreamRec holds about one person, as one JSON-ready document: "Download my data" on the
account page and ``GET /api/v1/me/export/`` (fields in README.md, "Your data"). A selector: it only reads.

Secrets never leave: the password hash is not exported and an API token appears only as "a token
exists, created on …". ``EXPORTED`` names, for every model that points at the user, the key of the
document holding its rows (tests/test_personal_data.py fails on a model missing from it or from its list
of models deliberately left out).
"""
from django.contrib.auth import get_user_model
from django.utils import timezone

from streamrec.models import LoginFailure

from .models import Dismissal, Preference, Rating, WatchlistEntry

FORMAT_VERSION = 1

# model label -> key of the document where its rows are
EXPORTED = {
    "ratings.Rating": "ratings",
    "ratings.WatchlistEntry": "watchlist",
    "ratings.Dismissal": "not_interested",
    "ratings.Preference": "settings",
    "authtoken.Token": "api_token",
    "auth.User_groups": "account",
    "auth.User_user_permissions": "account",
}


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _title(row) -> dict:
    return {"title_id": row.title_id, "title": row.title.name, "year": row.title.year}


def _api_token(user) -> str | None:
    token = getattr(user, "auth_token", None)  # rest_framework.authtoken's Token, when there is one
    return f"a token exists, created on {token.created:%Y-%m-%d %H:%M} UTC" if token else None


def personal_data(user) -> dict:
    """The document for ``user`` (see README.md, "Your data", for every field)."""
    user = get_user_model().objects.get(pk=user.pk)  # fresh: no cached relations of the request's user
    preference = Preference.objects.filter(user=user).first()
    return {
        "format": "streamrec-personal-data",
        "format_version": FORMAT_VERSION,
        "exported_at": _when(timezone.now()),
        "account": {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "permissions": sorted(f"{p.content_type.app_label}.{p.codename}" for p in user.user_permissions.select_related("content_type")),
        },
        "settings": {
            "novelty": preference.novelty if preference else None,
            "novelty_updated_at": _when(preference.updated_at) if preference else None,
        },
        "ratings": [
            {**_title(r), "score": r.score, "created_at": _when(r.created_at), "updated_at": _when(r.updated_at)}
            for r in Rating.objects.filter(user=user).select_related("title").order_by("created_at", "pk")
        ],
        "watchlist": [
            {**_title(w), "added_at": _when(w.added_at)}
            for w in WatchlistEntry.objects.filter(user=user).select_related("title").order_by("added_at", "pk")
        ],
        "not_interested": [
            {**_title(d), "dismissed_at": _when(d.dismissed_at)}
            for d in Dismissal.objects.filter(user=user).select_related("title").order_by("dismissed_at", "pk")
        ],
        "api_token": _api_token(user),
        "sign_in_failures": [
            _when(at) for at in LoginFailure.objects.filter(username=user.username.lower()).order_by("failed_at").values_list("failed_at", flat=True)
        ],
    }
