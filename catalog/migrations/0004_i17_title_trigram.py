"""Typo-tolerant title search on PostgreSQL (catalog/search.py): the pg_trgm extension and a GIN
trigram index on titles' names, which serves the word-similarity operator. Nothing on SQLite,
where the search compares names in Python."""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "catalog_title_name_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_title USING gin (name gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0003_import_run_heartbeat"),
    ]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION pg_trgm on PostgreSQL only
        migrations.RunPython(create_index, drop_index),
    ]
