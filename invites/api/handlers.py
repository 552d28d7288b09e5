"""Error views for a project's URLconf: JSON under the API, Django's own pages elsewhere.

Errors raised outside the API's views (an unknown path under `/api/`, a body Django
refuses to read, a 500 from a database outage or a bug) never reach DRF's exception
handling, so Django answers them with its HTML pages. A project that wants JSON there
too names these views in its root URLconf:

```python
handler400 = "invites.api.handlers.bad_request"
handler403 = "invites.api.handlers.permission_denied"
handler404 = "invites.api.handlers.page_not_found"
handler500 = "invites.api.handlers.server_error"
```

Under the API's path prefix (wherever `invites.api.urls` is mounted) each answers with
the API's `{"detail", "code"}` body; anywhere else it is Django's default view.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import defaults


def api_prefix() -> str | None:
    """The path the API is mounted at (`/api/` by default), or None when it is not."""
    try:
        schema = reverse("invites_api:schema")
    except NoReverseMatch:
        return None
    return schema.removesuffix("schema/")


def is_api_request(request: HttpRequest) -> bool:
    """Whether `request` is for a path under the API."""
    prefix = api_prefix()
    return prefix is not None and request.path.startswith(prefix)


def _error(detail: str, code: str, status: int) -> HttpResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 (413 for a body over `DATA_UPLOAD_MAX_MEMORY_SIZE`), as JSON under the API."""
    if not is_api_request(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return _error(_("The request body is too large."), "too_large", 413)
    return _error(_("Bad request."), "bad_request", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403, as JSON under the API."""
    if not is_api_request(request):
        return defaults.permission_denied(request, exception)
    return _error(_("You do not have permission to perform this action."), "permission_denied", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404, as JSON under the API."""
    if not is_api_request(request):
        return defaults.page_not_found(request, exception)
    return _error(_("Not found."), "not_found", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, as JSON under the API; it names no detail of what failed."""
    if not is_api_request(request):
        return defaults.server_error(request)
    return _error(_("A server error occurred."), "server_error", 500)
