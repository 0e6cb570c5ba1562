"""URLs of the demo site: the demo's pages, django-esi's SSO views, and the admin."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from demo import views

demo_patterns = [
    path("", views.index, name="index"),
    path("login/", views.login_view, name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("character/", views.character, name="character"),
    path("market/", views.market, name="market"),
    path("type/", views.type_info, name="type"),
    path("single-use/", views.single_use, name="single_use"),
    path("status/", views.status, name="status"),
    path("spec/", views.spec, name="spec"),
    path("journal/", views.journal, name="journal"),
]

urlpatterns = [
    path("", include((demo_patterns, "demo"))),
    # django-esi's SSO views: register <site>/sso/callback/ as the callback URL.
    path("sso/", include("esi.urls", namespace="esi")),
    path("admin/", admin.site.urls),
]
