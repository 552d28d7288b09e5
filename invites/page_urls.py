"""The invitee's HTML pages, mounted at `/invites/`."""

from django.urls import URLPattern, URLResolver

app_name = "invites"
urlpatterns: list[URLPattern | URLResolver] = []
