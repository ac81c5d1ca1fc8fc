"""The API's token authentication: DRF's ``TokenAuthentication``, with the token's user read in one
plain SQL query. Nothing is kept between requests, so a revoked token (sign-out) and a deactivated
or deleted account are refused on the very next request by every process. DRF's
``select_related`` lookup took 0.57 ms in-process; with this query a cached recommendations request
went from 2.2 to 1.65 ms (bench/README.md, "Notes on the load figures")."""
import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


@functools.cache  # the user model does not change while a process runs
def _user_for_token_sql() -> tuple[str, list[str]]:
    user_model = get_user_model()
    fields = [field.attname for field in user_model._meta.concrete_fields]
    columns = ", ".join(f"u.{connection.ops.quote_name(field.column)}" for field in user_model._meta.concrete_fields)
    sql = f"SELECT {columns} FROM {user_model._meta.db_table} u JOIN {Token._meta.db_table} t ON t.user_id = u.id WHERE t.key = %s"
    return sql, fields


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's: ``request.auth`` is the token."""

    def authenticate_credentials(self, key):
        sql, fields = _user_for_token_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = get_user_model().from_db(connection.alias, fields, row)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
