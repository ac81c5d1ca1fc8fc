from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import summaries  # noqa: F401  (its receivers drop summaries of changed titles)
