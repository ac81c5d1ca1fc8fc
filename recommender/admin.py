"""Model versions in admin: metrics at a glance, "retrain now" and "make this version serving" (rollback)."""
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from streamrec.admin_mixins import RecordAdminMixin

from .models import DigestDelivery, DigestRun, ModelVersion
from .selectors import serving_version, versions_with_artifact_errors
from .services import activate_version


@admin.register(ModelVersion)
class ModelVersionAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__", "algorithm", "status", "is_serving", "rmse", "mae", "ndcg_at_10", "n_ratings", "n_users", "n_titles",
        "duration_seconds", "created_at", "activated_at",
    )
    list_filter = ("status", "algorithm")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("retrain_now", "make_serving")

    def changelist_view(self, request, extra_context=None):
        self._serving = serving_version()
        if request.method == "GET":
            for version in versions_with_artifact_errors():
                role = "serving " if self._serving is not None and self._serving.pk == version.pk else ""
                self.message_user(request, f"The {role}model v{version.pk} cannot be loaded: {version.error}", messages.ERROR)
        return super().changelist_view(request, extra_context)

    @admin.display(boolean=True, description="serving")
    def is_serving(self, obj):
        serving = getattr(self, "_serving", None)
        return serving is not None and serving.pk == obj.pk

    @admin.display(description="NDCG@10")
    def ndcg_at_10(self, obj):
        metrics = obj.metrics or {}
        value = next((metrics[key] for key in ("ndcg", "ndcg@10", "ndcg_at_10") if key in metrics), None)
        return f"{value:.4f}" if isinstance(value, int | float) else "—"

    @admin.action(description="Retrain now (a Celery task; the new version serves only if it is not worse)")
    def retrain_now(self, request, queryset):
        from streamrec.outbox import enqueue

        if enqueue("recommender.tasks.retrain"):
            self.message_user(request, "Retraining queued.", messages.SUCCESS)
        else:
            self.message_user(request, "The task queue is down: retraining starts once it is back.", messages.WARNING)

    @admin.action(description="Make this version serving (rollback)")
    def make_serving(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to serve.", messages.ERROR)
            return
        version = queryset.get()
        try:
            activate_version(version)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(request, f"{version} now serves; every process picks it up on its next request.", messages.SUCCESS)


@admin.register(DigestRun)
class DigestRunAdmin(RecordAdminMixin, admin.ModelAdmin):
    """Each sending of the weekly digest with its counts (beat starts one every Monday; "run selected
    tasks" on its periodic task in admin starts one now, mailing nobody twice in a week)."""

    list_display = ("__str__", "week", "started_at", "finished_at", "subscribers", "batches", "sent", "empty", "skipped", "failed")
    date_hierarchy = "started_at"


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ("user", "week", "status", "titles", "attempts", "updated_at", "run")
    list_filter = ("status", "week")
    search_fields = ("user__username",)
    list_select_related = ("user", "run")
