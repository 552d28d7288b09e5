"""The invitee's HTML pages, mounted at `/invites/`."""

from django.urls import URLPattern, URLResolver, path

from invites import pages

app_name = "invites"
urlpatterns: list[URLPattern | URLResolver] = [
    path("accept/", pages.AcceptInviteView.as_view(), name="accept"),
    path("accept/done/", pages.accept_done, name="accept_done"),
]
