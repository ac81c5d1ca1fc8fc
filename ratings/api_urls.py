"""The signed-in user's ratings, watchlist and not-interested titles; included under ``/api/v1/`` by
``streamrec.api_urls``. Un-namespaced: names such as ``my-rating-detail``."""
from rest_framework.routers import SimpleRouter

from .api import MyNotInterestedViewSet, MyRatingViewSet, MyWatchlistViewSet

router = SimpleRouter()
router.register("me/ratings", MyRatingViewSet, basename="my-rating")
router.register("me/watchlist", MyWatchlistViewSet, basename="my-watchlist")
router.register("me/not-interested", MyNotInterestedViewSet, basename="my-not-interested")

urlpatterns = router.urls
