from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from catalog import views as catalog_views
from recommender import views as recommender_views

from . import views
from .throttles import throttle_posts

urlpatterns = [
    path("", views.home, name="home"),
    # Login and sign-up pages spend the same per-IP "auth" budget as the API's sign-in and sign-up.
    path("accounts/signup/", throttle_posts(views.signup), name="signup"),
    path("accounts/login/", throttle_posts(auth_views.LoginView.as_view()), name="login"),
    path("accounts/me/", views.account, name="account"),
    path("accounts/delete/", views.delete_account, name="delete-account"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("titles/", include("catalog.urls")),
    path("ratings/", include("ratings.urls")),
    path("recommendations/", include("recommender.urls")),
    path("insights/", catalog_views.insights, name="insights"),
    path("staff/models/", recommender_views.model_versions, name="staff-models"),
    path("staff/imports/", catalog_views.import_runs, name="staff-imports"),
    path("staff/imports/<int:pk>/", catalog_views.import_run_detail, name="staff-import-detail"),
    path("api/v1/auth/session/login/", throttle_posts(auth_views.LoginView.as_view(template_name="rest_framework/login.html"))),
    path("api/v1/", include("streamrec.api_urls")),
    path("admin/login/", throttle_posts(admin.site.login)),
    path("admin/", admin.site.urls),
]

handler500 = "streamrec.errors.server_error"
