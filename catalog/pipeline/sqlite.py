"""The embedded default's import mode: SQLite writes a batch in one transaction either way, but
with its default rollback journal and ``synchronous=FULL`` every commit waits for two fsyncs of
the whole journal. During an import only, the database runs in WAL mode with
``synchronous=NORMAL`` (a commit appends to the WAL; a power cut can lose the last batches,
never half of one, and an import can always be run again). Both are restored afterwards:
``journal_mode`` is kept in the file, ``synchronous`` per connection.
"""
import logging
from contextlib import contextmanager

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)


def _is_sqlite() -> bool:
    """The engine itself (tests of the generic SQL paths pretend ``vendor`` is sqlite on PostgreSQL)."""
    return connection.settings_dict["ENGINE"] == "django.db.backends.sqlite3"


@contextmanager
def import_mode():
    if not _is_sqlite() or connection.in_atomic_block:
        yield
        return
    journal, synchronous = current_mode()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
                if str(journal).lower() != "wal":
                    cursor.execute(f"PRAGMA journal_mode={journal}")
        except OperationalError:  # another connection is reading: the file stays in WAL, which is safe
            logger.warning("could not restore SQLite journal_mode=%s after the import", journal, exc_info=True)


def current_mode() -> tuple[str, int] | None:
    """(journal_mode, synchronous) of the connection, on SQLite; None elsewhere."""
    if not _is_sqlite():
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        return journal, cursor.fetchone()[0]
