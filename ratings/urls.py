from django.urls import path

from . import views, watch_views

app_name = "ratings"
urlpatterns = [
    path("", views.my_ratings, name="mine"),
    path("export.csv", views.export_csv, name="export"),
    path("import/", views.import_csv, name="import"),
    path("watchlist/", views.watchlist, name="watchlist"),
    path("watchlist/<int:title_id>/", views.watchlist_toggle, name="watchlist-toggle"),
    path("not-interested/", views.hidden, name="hidden"),
    path("not-interested/<int:title_id>/", views.hide_toggle, name="hide-toggle"),
    path("watching/", watch_views.watch_history, name="watch-history"),
    path("watching/pause/", watch_views.pause_watch_history, name="watch-pause"),
    path("watching/clear/", watch_views.clear_watch_history, name="watch-clear"),
    path("watching/events/<int:event_id>/delete/", watch_views.delete_watch_event, name="watch-event-delete"),
    path("watching/<int:title_id>/", watch_views.mark_watching, name="watch-mark"),
    path("not-seen/<int:title_id>/", views.not_seen, name="not-seen"),
    path("<int:title_id>/", views.rate, name="rate"),
    path("<int:title_id>/delete/", views.delete, name="delete"),
]
