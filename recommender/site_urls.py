"""Recommender pages at fixed, un-namespaced paths (names ``home`` and ``staff-models``); included
from ``streamrec.urls`` with ``path("", include("recommender.site_urls"))``."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/models/", views.model_versions, name="staff-models"),
]
