"""The REST API for mobile clients, version 1. Each app's routes come from its own ``api_urls``,
included by dotted name: nothing here imports an app."""
from csp.decorators import csp_replace
from django.conf import settings
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .api import LoginTokenView, LogoutView, MeView, NotFoundView, RegisterView
from .ping import PingView

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="api-register"),
    path("auth/token/", LoginTokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    # Browser sign-in for the browsable API (session authentication).
    path("auth/session/", include("rest_framework.urls")),
    path("me/", MeView.as_view(), name="api-me"),
    path("", include("recommender.api_urls")),  # me/recommendations/, health/
    path("", include("catalog.api_urls")),  # facts/, titles/, people/, genres/, platforms/
    path("", include("ratings.api_urls")),  # me/ratings/, me/watchlist/, me/not-interested/
    path("ping/", PingView.as_view(), name="api-ping"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The docs pages alone get a looser Content-Security-Policy: Swagger UI and Redoc need inline code.
    path("docs/", csp_replace(settings.API_DOCS_CSP)(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", csp_replace(settings.API_DOCS_CSP)(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    # Anything else under /api/v1/ answers a JSON 404 in the API's error format, never an HTML page.
    re_path(r"^.*$", NotFoundView.as_view(), name="api-not-found"),
]
