"""Admin of entity resolution and tags: the merges imports made, the review list of id conflicts
(with "merge them anyway" and "not the same work"), user tags and the tag genome."""
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from streamrec.admin_mixins import RecordAdminMixin

from .models import GenomeTag, Tag, TitleConflict, TitleMerge
from .pipeline.merge import merge_titles


def _title_link(title):
    if title is None:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse("admin:catalog_title_change", args=[title.pk]), str(title))


class TitleMergeInline(admin.TabularInline):
    """On an import run: the titles its batches merged."""

    model = TitleMerge
    extra = 0
    fields = ("merged_title_id", "merged_name", "merged_year", "survivor", "evidence", "moved")
    readonly_fields = fields
    can_delete = False
    max_num = 0
    verbose_name_plural = "titles merged by this run (an external id showed them to be one work)"


@admin.register(TitleMerge)
class TitleMergeAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "merged_name", "merged_year", "merged_title_id", "survivor_link", "evidence", "run")
    search_fields = ("merged_name", "survivor__name", "evidence")
    list_select_related = ("survivor", "run")
    date_hierarchy = "created_at"

    @admin.display(description="merged into", ordering="survivor__name")
    def survivor_link(self, obj):
        return _title_link(obj.survivor)


@admin.register(TitleConflict)
class TitleConflictAdmin(admin.ModelAdmin):
    """The review list: one id naming two titles that cannot be one work as they stand."""

    list_display = ("created_at", "evidence", "title_link", "other_link", "reason", "status", "run")
    list_filter = ("status",)
    search_fields = ("evidence", "title__name", "other__name", "reason")
    list_select_related = ("title", "other", "run")
    readonly_fields = ("title", "other", "evidence", "reason", "run", "created_at")
    actions = ("merge_anyway", "not_the_same_work")

    def has_add_permission(self, request):
        return False

    @admin.display(description="title", ordering="title__name")
    def title_link(self, obj):
        return _title_link(obj.title)

    @admin.display(description="other title", ordering="other__name")
    def other_link(self, obj):
        return _title_link(obj.other)

    @admin.action(description="Merge them anyway (the newer title into the older; ratings keep the newer)")
    def merge_anyway(self, request, queryset):
        merged = 0
        for conflict in queryset.filter(status=TitleConflict.Status.OPEN).select_related("title", "other"):
            if TitleConflict.objects.filter(pk=conflict.pk, status=TitleConflict.Status.OPEN).exists():
                merge_titles(conflict.title, conflict.other, f"{conflict.evidence} (curator {request.user})")
                merged += 1
        self.message_user(request, f"{merged} pair(s) merged.", messages.SUCCESS)

    @admin.action(description="Not the same work (close without merging)")
    def not_the_same_work(self, request, queryset):
        closed = queryset.filter(status=TitleConflict.Status.OPEN).update(status=TitleConflict.Status.DISMISSED)
        self.message_user(request, f"{closed} conflict(s) closed.", messages.SUCCESS)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "application_count")
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_applications=Count("applications"))

    @admin.display(description="applied", ordering="n_applications")
    def application_count(self, obj):
        return obj.n_applications


@admin.register(GenomeTag)
class GenomeTagAdmin(admin.ModelAdmin):
    list_display = ("genome_id", "name")
    search_fields = ("name", "=genome_id")
