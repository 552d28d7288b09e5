"""Error reports that never show an invite token or a password, whatever DEBUG says.

Django's error reports (the debug page with DEBUG on, the admins' email without it)
list the request's form fields and every frame's local variables. Its report filter
hides what `sensitive_post_parameters` and `sensitive_variables` mark, but only while
DEBUG is off: on a developer's or a staging server with DEBUG on, the debug page of a
500 during accept would still show the invitee's password and token. The app's views
that handle them are wrapped in `hide_secrets`, which makes the filter apply always.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.debug import SafeExceptionReporterFilter


class SecretsReportFilter(SafeExceptionReporterFilter):
    """Django's report filter, active with DEBUG on too."""

    def is_active(self, request: HttpRequest | None) -> bool:
        """Always: these requests carry secrets in any environment."""
        return True


def hide_secrets(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Hide every form field of the request and, with `sensitive_variables`, the
    marked local variables from error reports of `view`, DEBUG on or off."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # What `sensitive_post_parameters()` sets, and the filter Django's reports
        # look for on the request before the project's default one.
        request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]
        request.exception_reporter_filter = SecretsReportFilter()  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped
