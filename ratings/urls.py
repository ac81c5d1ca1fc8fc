from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("", views.my_ratings, name="mine"),
    path("<int:title_id>/", views.rate, name="rate"),
    path("<int:title_id>/delete/", views.delete, name="delete"),
]
