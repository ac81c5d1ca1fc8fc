"""The REST API for mobile clients, version 1."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from catalog.api import GenreViewSet, PersonViewSet, PlatformViewSet, ReleasesPerMonthView, ReleasesPerWeekdayView, TitleViewSet
from ratings.api import MyNotInterestedViewSet, MyRatingViewSet, MyWatchlistViewSet
from recommender.api import MyRecommendationsView

from .api import LoginTokenView, LogoutView, MeView, NotFoundView, RegisterView
from .health import HealthView
from .ping import PingView

router = SimpleRouter()
router.register("titles", TitleViewSet, basename="title")
router.register("people", PersonViewSet, basename="person")
router.register("genres", GenreViewSet, basename="genre")
router.register("platforms", PlatformViewSet, basename="platform")
router.register("me/ratings", MyRatingViewSet, basename="my-rating")
router.register("me/watchlist", MyWatchlistViewSet, basename="my-watchlist")
router.register("me/not-interested", MyNotInterestedViewSet, basename="my-not-interested")

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="api-register"),
    path("auth/token/", LoginTokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    # Browser sign-in for the browsable API (session authentication).
    path("auth/session/", include("rest_framework.urls")),
    path("me/", MeView.as_view(), name="api-me"),
    path("me/recommendations/", MyRecommendationsView.as_view(), name="api-my-recommendations"),
    path("facts/releases-per-month/", ReleasesPerMonthView.as_view(), name="api-releases-per-month"),
    path("facts/releases-per-weekday/", ReleasesPerWeekdayView.as_view(), name="api-releases-per-weekday"),
    path("health/", HealthView.as_view(), name="api-health"),
    path("ping/", PingView.as_view(), name="api-ping"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *router.urls,
    # Anything else under /api/v1/ answers a JSON 404 in the API's error format, never an HTML page.
    re_path(r"^.*$", NotFoundView.as_view(), name="api-not-found"),
]
