from django.urls import path

from . import views

app_name = "recommender"
urlpatterns = [
    path("", views.for_you, name="for-you"),
    path("welcome/", views.onboarding, name="onboarding"),
    path("know-you/", views.know_you, name="know-you"),
]
