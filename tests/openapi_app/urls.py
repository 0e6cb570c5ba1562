from django.urls import include, path

from . import views

urlpatterns = [
    path("sso/", include("esi.urls", namespace="esi")),
    path("skill-points/", views.skill_points, name="skill-points"),
    path("character/", views.one_character, name="one-character"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
