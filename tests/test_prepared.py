"""streamrec.prepared: statements prepared once per PostgreSQL connection, logged like any query."""
import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from streamrec.prepared import prepared_cursor

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@postgres_only
def test_a_statement_is_prepared_once_and_reused(user):
    sql = "SELECT id, username FROM auth_user WHERE id = %s"
    for _ in range(3):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [user.pk])
            assert cursor.fetchall() == [(user.pk, user.username)]
    assert prepared_statements().count("SELECT id, username FROM auth_user WHERE id = $1") == 1


def test_prepared_queries_are_logged_and_counted_with_their_sql(user):
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute("SELECT username FROM auth_user WHERE id = %s", [user.pk])
        assert cursor.fetchone() == (user.username,)
    assert len(queries) == 1 and "FROM auth_user WHERE id =" in queries[0]["sql"]


def test_database_errors_are_django_errors(db):
    with pytest.raises(DatabaseError), prepared_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM auth_user WHERE id = %s", [1])


@postgres_only
def test_results_come_in_binary_as_python_values(user):
    packed = bytes(range(256)) * 4
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::bytea, %s::bigint, %s::float8, NULL::bigint", [packed, 2**40, 4.5])
        assert cursor.fetchone() == (packed, 2**40, 4.5, None)
        assert cursor.cursor.pgresult.fformat(0) == 1  # binary
