"""Catalog pages at fixed, un-namespaced paths (names ``insights``, ``staff-imports`` and
``staff-import-detail``); included from ``streamrec.urls`` with ``path("", include("catalog.site_urls"))``."""
from django.urls import path

from . import views

urlpatterns = [
    path("insights/", views.insights, name="insights"),
    path("staff/imports/", views.import_runs, name="staff-imports"),
    path("staff/imports/<int:pk>/", views.import_run_detail, name="staff-import-detail"),
]
