"""The REST API for mobile clients, version 1."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from catalog.api import TitleViewSet
from ratings.api import MyRatingViewSet
from recommender.api import MyRecommendationsView

from .api import LoginTokenView, RegisterView

router = SimpleRouter()
router.register("titles", TitleViewSet, basename="title")
router.register("me/ratings", MyRatingViewSet, basename="my-rating")

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="api-register"),
    path("auth/token/", LoginTokenView.as_view(), name="api-token"),
    path("me/recommendations/", MyRecommendationsView.as_view(), name="api-my-recommendations"),
    *router.urls,
]
