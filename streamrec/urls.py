from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("titles/", include("catalog.urls")),
    path("ratings/", include("ratings.urls")),
    path("recommendations/", include("recommender.urls")),
    path("api/v1/", include("streamrec.api_urls")),
    path("admin/", admin.site.urls),
]

handler500 = "streamrec.errors.server_error"
