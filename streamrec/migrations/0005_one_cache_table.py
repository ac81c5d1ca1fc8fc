from django.db import migrations


class Migration(migrations.Migration):
    """The throttle cache's table becomes the default cache's (streamrec.cache); the revision
    counters move into the cache."""

    dependencies = [
        ("streamrec", "0004_revisions"),
    ]

    operations = [
        migrations.RenameModel("ThrottleCacheEntry", "CacheEntry"),
        migrations.AlterModelTable("CacheEntry", "streamrec_cache"),
        migrations.DeleteModel("Revision"),
    ]
