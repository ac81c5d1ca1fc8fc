from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import services  # noqa: F401  (its receiver makes answers ahead when ratings change)
