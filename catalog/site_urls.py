"""Catalog pages at fixed, un-namespaced paths (names ``insights``, ``my-services``,
``services-everything``, ``staff-imports`` and ``staff-import-detail``); included from ``streamrec.urls`` with ``path("", include("catalog.site_urls"))``."""
from django.urls import path

from . import my_services_views, views

urlpatterns = [
    path("insights/", views.insights, name="insights"),
    path("accounts/me/services/", my_services_views.my_services, name="my-services"),
    path("accounts/me/services/everything/", my_services_views.services_everything, name="services-everything"),
    path("staff/imports/", views.import_runs, name="staff-imports"),
    path("staff/imports/<int:pk>/", views.import_run_detail, name="staff-import-detail"),
]
