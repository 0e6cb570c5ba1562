from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
]

try:  # the esi URLs arrive with the SSO views
    urlpatterns.append(path("sso/", include("esi.urls", namespace="esi")))
except ImportError:  # pragma: no cover
    pass
