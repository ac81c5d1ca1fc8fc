"""The signed-in user's ratings, watchlist, not-interested titles and watch events, and everything held
about them (``me/export/``); included under ``/api/v1/`` by
``streamrec.api_urls``. Un-namespaced: names such as ``my-rating-detail``."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import MyDataExportView, MyNotInterestedViewSet, MyRatingViewSet, MyWatchlistViewSet
from .watch_api import MyWatchEventViewSet

router = SimpleRouter()
router.register("me/ratings", MyRatingViewSet, basename="my-rating")
router.register("me/watchlist", MyWatchlistViewSet, basename="my-watchlist")
router.register("me/not-interested", MyNotInterestedViewSet, basename="my-not-interested")
router.register("me/watch-events", MyWatchEventViewSet, basename="my-watch-event")

urlpatterns = [path("me/export/", MyDataExportView.as_view(), name="my-data-export"), *router.urls]
