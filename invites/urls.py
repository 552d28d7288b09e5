"""All URLs of the app; a project mounts them with `path("", include("invites.urls"))`.

- `api/`: the REST API (`invites.api.urls`)
- `invites/`: the invitee's HTML pages (`invites.web.urls`)
"""

from django.urls import include, path

urlpatterns = [
    path("api/", include("invites.api.urls")),
    path("invites/", include("invites.web.urls")),
]
