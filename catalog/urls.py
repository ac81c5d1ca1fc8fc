from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.title_list, name="title-list"),
    path("<int:pk>/", views.title_detail, name="title-detail"),
    path("people/<int:pk>/", views.person_detail, name="person-detail"),
]
