from django.apps import AppConfig


class StreamrecConfig(AppConfig):
    """The site shell: accounts, error pages and the task outbox."""

    name = "streamrec"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import auth  # noqa: F401  (connects the failed-login receiver)
