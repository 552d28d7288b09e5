"""A project that mounts the app under `team/`, with no sign-in page of its own."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("team/", include("invites.urls")),
]
