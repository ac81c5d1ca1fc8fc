from django.db import migrations


class Migration(migrations.Migration):
    """Kept rankings and answers move to the shared cache (streamrec.cache)."""

    dependencies = [
        ("recommender", "0003_kept_answer"),
    ]

    operations = [
        migrations.DeleteModel("KeptRanking"),
    ]
