"""Catalog API routes (titles, people, genres, platforms, facts, me/services/); included under ``/api/v1/`` by
``streamrec.api_urls``. Un-namespaced: names such as ``title-detail`` and ``api-releases-per-month``."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import GenreViewSet, PersonViewSet, PlatformViewSet, ReleasesPerMonthView, ReleasesPerWeekdayView, TitleViewSet
from .api_services import MyServicesView

router = SimpleRouter()
router.register("titles", TitleViewSet, basename="title")
router.register("people", PersonViewSet, basename="person")
router.register("genres", GenreViewSet, basename="genre")
router.register("platforms", PlatformViewSet, basename="platform")

urlpatterns = [
    path("me/services/", MyServicesView.as_view(), name="api-my-services"),
    path("facts/releases-per-month/", ReleasesPerMonthView.as_view(), name="api-releases-per-month"),
    path("facts/releases-per-weekday/", ReleasesPerWeekdayView.as_view(), name="api-releases-per-weekday"),
    *router.urls,
]
