"""Everything StreamRec holds about one person, as one JSON-ready document: "Download my data" on the
account page and ``GET /api/v1/me/export/`` (fields in README.md, "Your data"). A selector: it only reads.

Secrets never leave: the password hash is not exported and an API token appears only as "a token
exists, created on …". ``EXPORTED`` names, for every model that points at the user, the key of the
document holding its rows (tests/test_personal_data.py fails on a model missing from it or from its list
of models deliberately left out).

The other apps hold data about the person too (services, tags, email settings, digests): each adds
its part from a module named in ``settings.PERSONAL_DATA_PARTS`` (its ``EXPORTED`` and
``personal_data_part(user)``), so this module, low in the layers, imports none of them.
"""
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from streamrec.models import LoginFailure

from .models import Dismissal, NotSeen, Preference, Rating, Viewing, WatchEvent, WatchlistEntry

FORMAT_VERSION = 2

PARTS = [import_module(path) for path in getattr(settings, "PERSONAL_DATA_PARTS", [])]

# model label -> key of the document where its rows are
EXPORTED = {
    "ratings.Rating": "ratings",
    "ratings.WatchlistEntry": "watchlist",
    "ratings.Dismissal": "not_interested",
    "ratings.NotSeen": "not_seen",
    "ratings.Preference": "settings",
    "ratings.WatchEvent": "watch_events",
    "ratings.Viewing": "viewings",
    "authtoken.Token": "api_token",
    "auth.User_groups": "account",
    "auth.User_user_permissions": "account",
    **{label: key for part in PARTS for label, key in part.EXPORTED.items()},
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
    document = {
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
            "watch_history_paused": preference.watch_history_paused if preference else False,
            "updated_at": _when(preference.updated_at) if preference else None,
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
        "not_seen": [
            {**_title(n), "marked_at": _when(n.marked_at)}
            for n in NotSeen.objects.filter(user=user).select_related("title").order_by("marked_at", "pk")
        ],
        "watch_events": [
            {**_title(e), "event": e.event, "position_seconds": e.position_seconds, "duration_seconds": e.duration_seconds,
             "client_event_id": e.client_event_id, "occurred_at": _when(e.occurred_at), "received_at": _when(e.received_at)}
            for e in WatchEvent.objects.filter(user=user).select_related("title").order_by("occurred_at", "pk")
        ],
        "viewings": [
            {**_title(v), "position_seconds": v.position_seconds, "duration_seconds": v.duration_seconds,
             "last_event_at": _when(v.last_event_at), "finished_at": _when(v.finished_at), "abandoned_at": _when(v.abandoned_at),
             "read_as_stars": v.implicit_score}
            for v in Viewing.objects.filter(user=user).select_related("title").order_by("last_event_at", "pk")
        ],
        "api_token": _api_token(user),
        "sign_in_failures": [
            _when(at) for at in LoginFailure.objects.filter(username=user.username.lower()).order_by("failed_at").values_list("failed_at", flat=True)
        ],
    }
    for part in PARTS:
        document.update(part.personal_data_part(user))
    return document
