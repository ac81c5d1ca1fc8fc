"""Title summaries for recommendation lists, read in one query and kept in each process's memory.

Every recommendation list (the API on every app screen, each "for you" row) shows a dozen titles
per request, and reading them cost more than choosing them. So each process keeps the summaries it
has read (kind, name, year, genre names) for at most ``SUMMARY_CACHE_SECONDS``:

- saving or deleting a title, changing its genres or a genre, ``set_titles_active`` and the end of
  an import run move the "catalog" revision (``streamrec.revisions``): this process drops what it
  keeps at once, every other one within ``revisions.RECHECK_SECONDS``;
- which titles are inactive is also re-read at most every ``INACTIVE_RECHECK_SECONDS``, so a title
  hidden by any path (even a plain UPDATE) leaves every list within that time, and a bulk rename
  that moves no revision shows within ``SUMMARY_CACHE_SECONDS``.

The database stays the only truth: what a process keeps is derived from it and re-read in time.
"""
import threading
import time

from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from streamrec import revisions

from .models import Genre, Title

SUMMARY_CACHE_SECONDS = 60.0
INACTIVE_RECHECK_SECONDS = 2.0
# Beyond this many kept summaries, the expired ones are dropped (and all of them if that is not enough).
MAX_SUMMARIES = 20_000
# What a card or an API summary shows of a title; other fields load on access (a query each).
# In the order of Title's fields: Title.from_db matches values to fields in that order.
SUMMARY_FIELDS = ("id", "kind", "name", "year", "is_active")

CATALOG_REVISION = "catalog"

_lock = threading.Lock()
# title id -> (monotonic expiry, summary, or None for an id with no title)
_summaries: dict[int, tuple[float, Title | None]] = {}
_inactive: tuple[float, frozenset[int]] | None = None  # (monotonic time of the next check, ids)
_generation = 0  # moves with every change of titles this process makes or learns of


def generation() -> int:
    """A number that changes whenever this process drops summaries: part of the keys of other
    per-process copies of catalog listings (``selectors.listing``), so they go stale no later."""
    return _generation


def read_title_summaries(title_ids: list[int]) -> dict[int, Title]:
    """Titles by id (active or not) with ``SUMMARY_FIELDS`` and ``genre_names``, from the database
    in one query: a join of titles and genre names, one row per genre. Written in SQL because the
    ORM spent twice as long building it as the database took to answer, and a prefetch of the genres
    would cost a second round trip."""
    if not title_ids:
        return {}
    title_table, link, genre_table = Title._meta.db_table, Title.genres.through._meta.db_table, Genre._meta.db_table
    columns = ", ".join(f"t.{connection.ops.quote_name(Title._meta.get_field(name).column)}" for name in SUMMARY_FIELDS)
    sql = (
        f"SELECT {columns}, g.name FROM {title_table} t "
        f"LEFT JOIN {link} tg ON tg.title_id = t.id LEFT JOIN {genre_table} g ON g.id = tg.genre_id "
        f"WHERE t.id IN ({', '.join(['%s'] * len(title_ids))}) ORDER BY t.id, g.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(title_ids))
        rows = cursor.fetchall()
    titles: dict[int, Title] = {}
    for *fields, genre_name in rows:
        title = titles.get(fields[0])
        if title is None:
            title = titles[fields[0]] = Title.from_db(connection.alias, SUMMARY_FIELDS, fields)
            title._summary_genre_names = []
        if genre_name is not None:
            title._summary_genre_names.append(genre_name)
    return titles


def inactive_title_ids() -> frozenset[int]:
    """Ids of the inactive titles, re-read from the database at most every INACTIVE_RECHECK_SECONDS."""
    global _inactive
    now = time.monotonic()
    checked = _inactive
    if checked is None or now >= checked[0]:
        epoch = revisions.epoch()
        ids = frozenset(Title.objects.filter(is_active=False).values_list("pk", flat=True))
        checked = (now + INACTIVE_RECHECK_SECONDS, ids)
        with _lock:
            if revisions.epoch() == epoch:  # else the catalog changed while this was read
                _inactive = checked
    return checked[1]


def title_summaries(title_ids, active_only: bool = True) -> dict[int, Title]:
    """Titles by id with ``SUMMARY_FIELDS`` and ``genre_names`` (see the module's docstring for how
    fresh they are); with ``active_only``, inactive titles are left out. The same objects serve
    every request of this process: treat them as read-only, and ask ``inactive_title_ids()``, not
    their ``is_active``, whether a title is active."""
    revisions.check()
    now = time.monotonic()
    inactive = inactive_title_ids()
    wanted = {int(pk) for pk in title_ids}
    found: dict[int, Title | None] = {}
    for pk in wanted:
        entry = _summaries.get(pk)
        if entry is not None and entry[0] > now:
            found[pk] = entry[1]
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        epoch = revisions.epoch()
        read = read_title_summaries(missing)
        fresh = {pk: read.get(pk) for pk in missing}
        with _lock:
            if revisions.epoch() == epoch:  # else the catalog changed while this was read
                if len(_summaries) + len(fresh) > MAX_SUMMARIES:
                    for pk in [pk for pk, (expiry, _) in _summaries.items() if expiry <= now]:
                        del _summaries[pk]
                    if len(_summaries) + len(fresh) > MAX_SUMMARIES:
                        _summaries.clear()
                _summaries.update((pk, (now + SUMMARY_CACHE_SECONDS, title)) for pk, title in fresh.items())
        found.update(fresh)
    return {pk: title for pk, title in found.items() if title is not None and not (active_only and pk in inactive)}


def forget_title_summaries() -> None:
    """Drop what this process keeps and re-read which titles are inactive on the next call."""
    global _inactive, _generation
    with _lock:
        _generation += 1
        _summaries.clear()
        _inactive = None


revisions.on_change(CATALOG_REVISION, forget_title_summaries)


def catalog_changed() -> None:
    """Titles changed: every process drops its summaries (this one at once, see the docstring)."""
    revisions.bump(CATALOG_REVISION)


@receiver([post_save, post_delete], sender=Title)
@receiver(m2m_changed, sender=Title.genres.through)
@receiver([post_save, post_delete], sender=Genre)
def _titles_changed(sender, **kwargs):
    catalog_changed()
