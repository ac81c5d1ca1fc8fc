from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html

from streamrec.admin_mixins import RecordAdminMixin

from .admin_curation import TitleCurationMixin, ImportUploadMixin
from .admin_resolution import TitleMergeInline

from .models import (
    Availability, Collection, Company, Country, Credit, Genre, ImportRun, Keyword, Person, Platform, RejectedRow,
    SourceRecord, Title, TitleDetails,
)


class AvailabilityInline(admin.TabularInline):
    model = Availability
    extra = 0
    fields = ("platform", "platform_item_id", "date_added", "created_at")
    readonly_fields = ("created_at",)


class CreditInline(admin.TabularInline):
    model = Credit
    extra = 0
    fields = ("role", "person", "order", "character")
    autocomplete_fields = ("person",)
    ordering = ("role", "order")


class TitleDetailsInline(admin.StackedInline):
    model = TitleDetails
    extra = 0
    can_delete = False
    autocomplete_fields = ("collection",)


class SourceRecordInline(admin.TabularInline):
    model = SourceRecord
    extra = 0
    fields = ("source", "external_id", "checksum", "last_run", "updated_at")
    readonly_fields = fields
    can_delete = False
    verbose_name = "source record"
    verbose_name_plural = "where this title came from (import lineage)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Title)
class TitleAdmin(TitleCurationMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "year", "maturity_rating", "platform_list", "movielens_id", "tmdb_id", "imdb_id", "is_active")
    list_filter = ("kind", "is_active", "platforms", "genres", "year", "maturity_rating")
    search_fields = ("name", "=imdb_id", "=tmdb_id", "=movielens_id", "details__original_title", "credits__person__name")
    list_select_related = ()
    autocomplete_fields = ("genres",)
    readonly_fields = ("fields_from", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("kind", "name", "year", "genres", "description", "is_active")}),
        ("Runtime and rating", {"fields": ("runtime_minutes", "seasons", "maturity_rating")}),
        ("External ids", {"fields": ("movielens_id", "tmdb_id", "imdb_id")}),
        ("Record", {"fields": ("fields_from", "created_at", "updated_at")}),
    )
    inlines = (AvailabilityInline, CreditInline, TitleDetailsInline, SourceRecordInline)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("platforms")

    @admin.display(description="platforms")
    def platform_list(self, obj):
        return ", ".join(sorted({p.name for p in obj.platforms.all()})) or "—"


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ("name", "title_count")
    search_fields = ("name",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_titles=Count("titles"))

    @admin.display(description="titles", ordering="n_titles")
    def title_count(self, obj):
        return obj.n_titles


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "tmdb_id")
    search_fields = ("name", "=tmdb_id")


class PlatformForm(forms.ModelForm):
    logo_url = forms.URLField(assume_scheme="https", required=False, max_length=500, label="Logo URL",
                              help_text=Platform._meta.get_field("logo_url").help_text)

    class Meta:
        model = Platform
        fields = ("name", "slug", "colour", "logo_url")
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    """Name, colour and logo as the site draws them (badges, "Where to watch", the services form)."""

    form = PlatformForm
    list_display = ("name", "slug", "badge", "logo")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description="badge")
    def badge(self, platform):
        return format_html('<span style="background:{};color:#fff;padding:2px 8px;border-radius:9px">{}</span>', platform.colour, platform.name)

    @admin.display(description="logo")
    def logo(self, platform):
        return format_html('<img src="{}" alt="" height="20">', platform.logo_url) if platform.logo_url else "-"


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ("name", "iso_code")
    search_fields = ("name", "iso_code")


@admin.register(Collection, Company, Keyword)
class TmdbNamedAdmin(admin.ModelAdmin):
    list_display = ("name", "tmdb_id")
    search_fields = ("name", "=tmdb_id")


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("title", "platform", "platform_item_id", "date_added")
    list_filter = ("platform",)
    date_hierarchy = "date_added"
    search_fields = ("title__name", "=platform_item_id")
    autocomplete_fields = ("title",)


class RejectedRowInline(admin.TabularInline):
    model = RejectedRow
    extra = 0
    fields = ("line_number", "reason", "raw")
    readonly_fields = fields
    can_delete = False
    max_num = 0
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("line_number")


@admin.register(ImportRun)
class ImportRunAdmin(ImportUploadMixin, RecordAdminMixin, admin.ModelAdmin):
    """Runs are records of what happened: read-only, except that a file can be imported again."""

    list_display = ("started_at", "format", "role", "source", "file_name", "status", "rows", "created", "updated",
                    "unchanged", "rejected", "matched", "new", "ambiguous", "merged", "held", "trigger")
    list_filter = ("status", "format", "role", "trigger")
    search_fields = ("path", "=checksum", "message")
    date_hierarchy = "started_at"
    inlines = (TitleMergeInline, RejectedRowInline)
    actions = ("import_again",)

    @admin.display(description="file")
    def file_name(self, obj):
        return obj.path.rsplit("/", 1)[-1]

    @admin.action(description="Import these files again (idempotent; queued as a Celery task)")
    def import_again(self, request, queryset):
        from streamrec.outbox import enqueue

        sent = [
            enqueue("catalog.tasks.import_files", run.format, [run.path], run.source if run.format == "streaming" else None)
            for run in queryset
        ]
        kept = sent.count(False)
        note = f" ({kept} kept until the task queue is back)" if kept else ""
        self.message_user(request, f"{len(sent)} import(s) queued{note}.", messages.SUCCESS)


@admin.register(RejectedRow)
class RejectedRowAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_display = ("run", "line_number", "reason")
    list_filter = ("run__format",)
    search_fields = ("reason", "raw")
    list_select_related = ("run",)

