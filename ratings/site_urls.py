"""Account pages at fixed, un-namespaced paths (names ``account``, ``delete-account``, ``set-novelty`` and ``export-my-data``); included
from ``streamrec.urls`` with ``path("", include("ratings.site_urls"))``, ahead of
``django.contrib.auth.urls``."""
from django.urls import path

from . import account_views

urlpatterns = [
    path("accounts/me/", account_views.account, name="account"),
    path("accounts/delete/", account_views.delete_account, name="delete-account"),
    path("accounts/me/novelty/", account_views.set_novelty, name="set-novelty"),
    path("accounts/me/export/", account_views.export_my_data, name="export-my-data"),
]
