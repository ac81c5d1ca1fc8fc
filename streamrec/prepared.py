"""Statements PostgreSQL parses and plans once per connection instead of on every call.

For the few small queries run on nearly every request (a user's ratings), planning cost as much as
running them. ``prepared_cursor()`` gives a Django cursor (errors translated, queries logged and
counted like any other) over a psycopg server-side-binding cursor that prepares each statement it
runs and reads results in binary; psycopg keeps the prepared statements of each connection (at most
``prepared_max``). The settings give the connection a ``prepare_threshold``, without which psycopg
prepares nothing. On other databases it is an ordinary cursor.

A connection pooler in front of PostgreSQL must support prepared statements (PgBouncer 1.21 or later
with ``max_prepared_statements``).
"""
from contextlib import contextmanager

import psycopg
from django.db import connection


class PreparingCursor(psycopg.Cursor):
    """Binds parameters on the server, prepares every statement it executes and asks for results in
    binary (no text to parse: a kept ranking's bytes arrive as they are, not in hex)."""

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        self.format = psycopg.pq.Format.BINARY

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # psycopg records the query it sent only when it did not prepare it; Django's query log
        # (and tests counting queries) read that record.
        self._query = pgq
        return super()._send_query_prepared(name, pgq, binary=binary)


@contextmanager
def prepared_cursor():
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.validate_thread_sharing()
    connection.ensure_connection()
    raw = PreparingCursor(connection.connection)
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    try:
        yield cursor
    finally:
        cursor.close()
