"""The project's REST_FRAMEWORK defaults do not change the API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import LIST, resend

pytestmark = pytest.mark.django_db


def wrapping_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """A project-wide handler that reshapes DRF's error bodies."""
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is not None:
        response.data = {"error": response.data}
    return response


def test_project_rest_framework_defaults_do_not_change_the_api(
    settings, api_viewer, api_admin, accepted_invite, make_invite
):
    settings.REST_FRAMEWORK = {
        **getattr(settings, "REST_FRAMEWORK", {}),
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
        "PAGE_SIZE": 1,
        "DEFAULT_FILTER_BACKENDS": [],
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
        "EXCEPTION_HANDLER": "tests.api.test_project_defaults.wrapping_exception_handler",
    }
    make_invite()

    anonymous = APIClient().get(LIST)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    page = api_viewer.get(LIST, {"status": "pending"}).json()
    assert set(page) == {"count", "next", "previous", "results"} and page["count"] == 1
    assert api_viewer.post(resend(accepted_invite)).status_code == 403
    # Domain errors are still mapped by the app, then shaped by the project's handler.
    conflict = api_admin.post(resend(accepted_invite))
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "already_accepted"
