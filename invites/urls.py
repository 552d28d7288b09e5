"""All URLs of the app; a project mounts them with `path("", include("invites.urls"))`.

- `api/`: the REST API (`invites.api_urls`)
- `invites/`: the invitee's HTML pages (`invites.page_urls`)
"""

from django.urls import include, path

urlpatterns = [
    path("api/", include("invites.api_urls")),
    path("invites/", include("invites.page_urls")),
]
