"""Title summaries for recommendation lists and rows: titles and their genre names in one query.

A list of recommendations shows a dozen titles; reading them with their genres through the ORM
cost two round trips (titles, then a prefetch of genres). Lists are kept in the shared cache
(``streamrec.cache``) with the summaries inside, so this runs only when a list is made.
"""
from django.db import connection

from .models import Genre, Title

# What a card or an API summary shows of a title; other fields load on access (a query each).
# In the order of Title's fields: Title.from_db matches values to fields in that order.
SUMMARY_FIELDS = ("id", "kind", "name", "year", "is_active")


def title_summaries(title_ids, active_only: bool = True) -> dict[int, Title]:
    """Titles by id with ``SUMMARY_FIELDS`` and ``genre_names``; inactive ones left out with
    ``active_only``, ids with no title always."""
    title_ids = sorted({int(pk) for pk in title_ids})
    if not title_ids:
        return {}
    title_table, link, genre_table = Title._meta.db_table, Title.genres.through._meta.db_table, Genre._meta.db_table
    columns = ", ".join(f"t.{connection.ops.quote_name(Title._meta.get_field(name).column)}" for name in SUMMARY_FIELDS)
    sql = (
        f"SELECT {columns}, g.name FROM {title_table} t "
        f"LEFT JOIN {link} tg ON tg.title_id = t.id LEFT JOIN {genre_table} g ON g.id = tg.genre_id "
        f"WHERE t.id IN ({', '.join(['%s'] * len(title_ids))}) {'AND t.is_active ' if active_only else ''}ORDER BY t.id, g.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, title_ids)
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
