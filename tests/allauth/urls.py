"""URLs of the allauth test project: allauth under accounts/, the app, a landing page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def welcome(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Welcome {request.user.get_username()}")


urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("welcome/", welcome),
    path("", include("invites.urls")),
]
