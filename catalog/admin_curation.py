"""Curators' tools in the catalog admin: show/hide titles, merge duplicates, upload a file to import.

Kept apart from catalog/admin.py (the pipeline's admin) and mixed into its TitleAdmin and
ImportRunAdmin. Every write goes through a service (catalog.curation) or the pipeline's task.
"""
import shutil
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import get_valid_filename

from .curation import merge_titles, set_titles_active

MAX_UPLOAD_BYTES = getattr(settings, "CATALOG_UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
UPLOAD_SUFFIXES = {".csv", ".dat", ".tsv", ".txt"}


class TitleCurationMixin:
    actions = ("activate_titles", "deactivate_titles", "merge_duplicates")

    @admin.action(description="Activate: show on the site, in the API and in recommendations", permissions=["change"])
    def activate_titles(self, request, queryset):
        changed = set_titles_active(queryset.values_list("pk", flat=True), True)
        self.message_user(request, f"{changed} title(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate: hide from the site, the API and recommendations", permissions=["change"])
    def deactivate_titles(self, request, queryset):
        changed = set_titles_active(queryset.values_list("pk", flat=True), False)
        self.message_user(request, f"{changed} title(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Merge duplicates into one title (ratings and availabilities move to it)", permissions=["delete"])
    def merge_duplicates(self, request, queryset):
        titles = list(queryset.annotate(n_ratings=Count("ratings")).order_by("-n_ratings", "pk"))
        if len(titles) < 2:
            self.message_user(request, "Select at least two titles to merge.", messages.ERROR)
            return None
        if request.POST.get("apply"):
            keep = next((t for t in titles if str(t.pk) == request.POST.get("keep")), None)
            if keep is None:
                self.message_user(request, "Choose the title to keep.", messages.ERROR)
                return None
            result = merge_titles(keep, [t for t in titles if t.pk != keep.pk])
            self.message_user(
                request,
                f"Merged {len(result.merged)} title(s) into {keep}: {result.ratings_moved} rating(s) moved, "
                f"{result.ratings_combined} combined, {result.availabilities_moved} availabilit(y/ies), "
                f"{result.watchlist_moved} watchlist entr(y/ies), {result.dismissals_moved} dismissal(s).",
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/catalog/title/merge_titles.html",
            {
                **self.admin_site.each_context(request),
                "title": "Merge duplicate titles",
                "titles": titles,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


class CatalogUploadForm(forms.Form):
    format = forms.ChoiceField(choices=[])
    platform = forms.SlugField(required=False, help_text="streaming files: the platform (default: from the file name)")
    file = forms.FileField(help_text=f"CSV or .dat, at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")

    def __init__(self, *args, **kwargs):
        from .pipeline import FORMATS

        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [(name, name) for name in FORMATS]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The file is {upload.size} bytes; at most {MAX_UPLOAD_BYTES} are accepted.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if Path(upload.name).suffix.lower() not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(f"Expected a {', '.join(sorted(UPLOAD_SUFFIXES))} file.")
        return upload


def upload_dir() -> Path:
    return Path(getattr(settings, "CATALOG_UPLOAD_DIR", settings.BASE_DIR / "var" / "uploads"))


class ImportUploadMixin:
    def get_urls(self):
        extra = [path("upload/", self.admin_site.admin_view(self.upload_view), name="catalog_importrun_upload")]
        return extra + super().get_urls()

    def upload_view(self, request):
        """Save the upload, inspect it with the pipeline (which writes nothing), then queue the import."""
        from .pipeline import inspect_files
        from streamrec.outbox import enqueue

        if not self.has_view_permission(request) or not request.user.has_perm("catalog.add_title"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = CatalogUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            folder = upload_dir() / uuid.uuid4().hex
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / get_valid_filename(Path(upload.name).name)
            with target.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            fmt, platform = form.cleaned_data["format"], form.cleaned_data["platform"] or None
            try:
                _, refused = inspect_files(fmt, [target], platform)
            except ValueError as error:
                refused = [(target, str(error))]
            if refused:
                shutil.rmtree(folder, ignore_errors=True)
                for _, message in refused:
                    form.add_error("file", message.replace(str(target), upload.name))
            else:
                sent = enqueue("catalog.tasks.import_files", fmt, [str(target)], platform)
                state = "import queued" if sent else "the task queue is down: import kept, it starts once the queue is back"
                self.message_user(request, f"{upload.name}: {state}.", messages.SUCCESS if sent else messages.WARNING)
                return HttpResponseRedirect(reverse("admin:catalog_importrun_changelist"))
        return TemplateResponse(
            request,
            "admin/catalog/importrun/upload.html",
            {
                **self.admin_site.each_context(request),
                "title": "Upload a catalog file",
                "form": form,
                "opts": self.model._meta,
                "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
            },
        )
