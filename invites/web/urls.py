"""The invitee's HTML pages, mounted at `/invites/`."""

from django.urls import URLPattern, URLResolver, path

from invites.web import views

app_name = "invites"
urlpatterns: list[URLPattern | URLResolver] = [
    path("accept/", views.AcceptPageView.as_view(), name="accept"),
    path("accept/done/", views.accept_done, name="accept_done"),
]
