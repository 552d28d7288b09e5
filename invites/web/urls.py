"""The invitee's HTML pages, mounted at `/invites/`.

Every page lives at or below `accept/`, the path of the cookie that remembers which
invite the browser opened.
"""

from django.urls import URLPattern, URLResolver, path

from invites.web import decline, views

app_name = "invites"
urlpatterns: list[URLPattern | URLResolver] = [
    path("accept/", views.AcceptPageView.as_view(), name="accept"),
    path("accept/done/", views.accept_done, name="accept_done"),
    path("accept/decline/", decline.DeclinePageView.as_view(), name="decline"),
    path("accept/declined/", decline.declined, name="declined"),
]
