"""Recommendations and service health; included under ``/api/v1/`` by ``streamrec.api_urls``.
Un-namespaced: ``api-my-recommendations`` and ``api-health``."""
from django.urls import path

from .api import MyRecommendationsView
from .health import HealthView

urlpatterns = [
    path("me/recommendations/", MyRecommendationsView.as_view(), name="api-my-recommendations"),
    path("health/", HealthView.as_view(), name="api-health"),
]
