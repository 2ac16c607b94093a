from django.urls import path

from . import views

app_name = "home"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("group/", views.group_overview, name="group_overview"),
]
