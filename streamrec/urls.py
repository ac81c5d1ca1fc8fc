"""The project's URLs. Apps are included by dotted name only: nothing here imports an app. Pages that
live at fixed, un-namespaced paths are in each app's ``site_urls``; its API routes in its ``api_urls``."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .throttles import throttle_posts

urlpatterns = [
    path("", include("recommender.site_urls")),  # home, staff/models/
    # Login and sign-up pages spend the same per-IP "auth" budget as the API's sign-in and sign-up.
    path("accounts/signup/", throttle_posts(views.signup), name="signup"),
    path("accounts/login/", throttle_posts(auth_views.LoginView.as_view()), name="login"),
    # Django's password-reset pages, the request form's POSTs throttled per IP; the mail goes from a worker.
    path("accounts/password_reset/", throttle_posts(views.PasswordResetView.as_view(), scope="email"), name="password_reset"),
    path("accounts/me/email/", views.change_email, name="email-change"),
    path("accounts/me/email/resend/", views.resend_confirmation, name="email-resend"),
    path("accounts/me/digest/", views.set_weekly_digest, name="email-digest"),
    path("accounts/confirm-email/<str:token>/", views.confirm_email, name="email-confirm"),
    path("accounts/unsubscribe/<str:token>/", views.unsubscribe, name="email-unsubscribe"),
    path("", include("ratings.site_urls")),  # accounts/me/, accounts/delete/: ahead of Django's accounts/ pages
    path("accounts/", include("django.contrib.auth.urls")),
    path("titles/", include("catalog.urls")),
    path("ratings/", include("ratings.urls")),
    path("recommendations/", include("recommender.urls")),
    path("", include("catalog.site_urls")),  # insights/, staff/imports/
    path("api/v1/auth/session/login/", throttle_posts(auth_views.LoginView.as_view(template_name="rest_framework/login.html"))),
    path("api/v1/", include("streamrec.api_urls")),
    path("admin/login/", throttle_posts(admin.site.login)),
    path("admin/", admin.site.urls),
]

handler500 = "streamrec.errors.server_error"
