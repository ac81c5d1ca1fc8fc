"""The API's token authentication: DRF's ``TokenAuthentication``, with the token's user kept in memory.

Every signed-in API request starts here, and reading the token and its user from the database cost
more than scoring the user's recommendations. So each process keeps the users of the tokens it has
seen, for at most ``TOKEN_CACHE_SECONDS``, and drops them all when the "auth" revision moves
(``streamrec.revisions``). Revoking a token (sign-out, a deleted or deactivated account) or any
other change of an account moves it: the process that revoked the token refuses it at once, every other process within
``revisions.RECHECK_SECONDS``.
"""
import copy
import threading
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from . import revisions

AUTH_REVISION = "auth"
TOKEN_CACHE_SECONDS = 300.0
MAX_TOKENS = 50_000

_lock = threading.Lock()
_users: dict[str, tuple[float, object]] = {}  # token key -> (monotonic expiry, user)


def forget_tokens() -> None:
    with _lock:
        _users.clear()


revisions.on_change(AUTH_REVISION, forget_tokens)


def user_for_token(key: str):
    """The user holding token ``key``, or None: one query (the ORM's ``select_related`` took twice
    as long to build as the database took to answer)."""
    user_model = get_user_model()
    columns = ", ".join(f"u.{connection.ops.quote_name(field.column)}" for field in user_model._meta.concrete_fields)
    sql = (
        f"SELECT {columns} FROM {user_model._meta.db_table} u "
        f"JOIN {Token._meta.db_table} t ON t.user_id = u.id WHERE t.key = %s"
    )
    return next(iter(user_model.objects.raw(sql, [key])), None)


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``; ``request.auth`` is the key."""

    def authenticate_credentials(self, key):
        revisions.check()
        now = time.monotonic()
        kept = _users.get(key)
        if kept is not None and kept[0] > now:
            user = kept[1]
        else:
            epoch = revisions.epoch()
            user = user_for_token(key)
            if user is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            with _lock:
                if revisions.epoch() == epoch:  # else a revocation may have come after the read
                    if len(_users) >= MAX_TOKENS:
                        _users.clear()
                    _users[key] = (now + TOKEN_CACHE_SECONDS, user)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        # A copy: a view may change its request's user (a form does on validation); the kept one
        # serves other requests.
        return copy.copy(user), key


@receiver(post_delete, sender=Token)
def _token_revoked(sender, **kwargs):
    revisions.bump(AUTH_REVISION)


# What a save may write without changing anything a token grants: signing in saves last_login, and
# a password hash re-made with a newer hasher saves password alone (a token does not depend on it).
UNRELATED_TO_TOKENS = {"last_login", "password"}


@receiver(post_save, sender=get_user_model())
def _account_changed(sender, update_fields=None, created=False, **kwargs):
    if not created and not (update_fields and set(update_fields) <= UNRELATED_TO_TOKENS):
        revisions.bump(AUTH_REVISION)
