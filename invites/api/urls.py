"""REST API routes, mounted at `/api/` (names in the `invites_api` namespace)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from invites.api.invitee import AcceptInviteView, DeclineInviteView, JoinInviteView
from invites.api.openapi import InviteDocsView, InviteSchemaView
from invites.api.views import InviteViewSet

app_name = "invites_api"

router = SimpleRouter()
router.register("invites", InviteViewSet, basename="invite")

urlpatterns: list[URLPattern | URLResolver] = [
    # Before the router's routes, so `accept` is never read as an invite id.
    path("invites/accept/", AcceptInviteView.as_view(), name="invite-accept"),
    path("invites/join/", JoinInviteView.as_view(), name="invite-join"),
    path("invites/decline/", DeclineInviteView.as_view(), name="invite-decline"),
    *router.urls,
    path("schema/", InviteSchemaView.as_view(), name="schema"),
    path("docs/", InviteDocsView.as_view(url_name="invites_api:schema"), name="docs"),
]
