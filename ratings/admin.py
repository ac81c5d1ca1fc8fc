"""Ratings in admin: read-mostly. Curators look, filter and (superusers) delete abuse; nobody edits a
user's score here. Filter by user or title with the links in the list (or ?user__id__exact=, ?title__id__exact=)."""
from django.contrib import admin
from django.utils.html import format_html
from django.utils.http import urlencode

from streamrec.admin_mixins import RecordAdminMixin

from .models import Dismissal, Rating, Viewing, WatchEvent, WatchlistEntry


class ReadMostlyAdmin(RecordAdminMixin, admin.ModelAdmin):
    list_select_related = ("user", "title")
    search_fields = ("user__username", "title__name", "=title__id")
    list_per_page = 50
    show_full_result_count = False  # counting 100k+ rows on every page is slow

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in {"user__id__exact", "title__id__exact"} or super().lookup_allowed(lookup, value, request)

    def _filter_link(self, field: str, obj, label) -> str:
        query = urlencode({f"{field}__id__exact": getattr(obj, f"{field}_id")})
        return format_html('<a href="?{}" title="only this {}">{}</a>', query, field, label)

    @admin.display(description="user", ordering="user__username")
    def user_link(self, obj):
        return self._filter_link("user", obj, obj.user.username)

    @admin.display(description="title", ordering="title__name")
    def title_link(self, obj):
        return self._filter_link("title", obj, str(obj.title))


@admin.register(Rating)
class RatingAdmin(ReadMostlyAdmin):
    list_display = ("user_link", "title_link", "score", "created_at", "updated_at")
    list_filter = ("score", ("updated_at", admin.DateFieldListFilter), ("created_at", admin.DateFieldListFilter), "title__kind")
    date_hierarchy = "updated_at"


@admin.register(WatchlistEntry)
class WatchlistEntryAdmin(ReadMostlyAdmin):
    list_display = ("user_link", "title_link", "added_at")
    list_filter = (("added_at", admin.DateFieldListFilter),)


@admin.register(Dismissal)
class DismissalAdmin(ReadMostlyAdmin):
    list_display = ("user_link", "title_link", "dismissed_at")
    list_filter = (("dismissed_at", admin.DateFieldListFilter),)


@admin.register(WatchEvent)
class WatchEventAdmin(ReadMostlyAdmin):
    list_display = ("user_link", "title_link", "event", "position_seconds", "duration_seconds", "occurred_at", "received_at")
    list_filter = ("event", ("occurred_at", admin.DateFieldListFilter))
    date_hierarchy = "occurred_at"


@admin.register(Viewing)
class ViewingAdmin(ReadMostlyAdmin):
    list_display = ("user_link", "title_link", "position_seconds", "duration_seconds", "last_event_at", "finished_at", "abandoned_at", "implicit_score")
    list_filter = (("last_event_at", admin.DateFieldListFilter), ("finished_at", admin.EmptyFieldListFilter), ("abandoned_at", admin.EmptyFieldListFilter))
