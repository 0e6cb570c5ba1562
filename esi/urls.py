"""URLs of django-esi: ``path("sso/", include("esi.urls"))``; register ``esi:callback`` with EVE."""

from django.urls import path

from . import views

app_name = "esi"

urlpatterns = [
    path("callback/", views.receive_callback, name="callback"),
    path("login/", views.login, name="login"),
]
