"""JSON errors everywhere under /api/, including those raised outside DRF's views.

The demo's URLconf names the app's error views (`invites.api.handlers`): under the
API's prefix an unknown path, a body Django refuses, or an unhandled error answer with
the API's `{"detail", "code"}` body; the HTML pages elsewhere keep Django's pages.
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import Client

from invites import services
from invites.api import handlers
from tests.helpers import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("inviteproject.urls")]


class BrokenAdapter:
    """Stands in for the adapter class: building the user fails with a bug."""

    def __call__(self) -> BrokenAdapter:
        return self

    def new_user(self, invite):
        raise RuntimeError("a bug in the project's adapter")


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


def test_an_unknown_path_under_the_api_is_a_json_404(anonymous):
    response = anonymous.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unknown_path_elsewhere_keeps_djangos_page(anonymous):
    response = anonymous.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_json_405(anonymous):
    response = anonymous.put("/api/invites/accept/", "{}", content_type="application/json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_body_django_refuses_to_read_outside_the_api_views_is_a_json_413(rf):
    # Django raises this wherever it reads an oversized body: a middleware reading
    # `request.POST`, say, before any view of the API runs.
    response = handlers.bad_request(rf.post("/api/invites/"), RequestDataTooBig())
    assert response.status_code == 413
    assert json.loads(response.content) == {
        "detail": "The request body is too large.",
        "code": "too_large",
    }
    assert handlers.bad_request(rf.post("/invites/accept/"), RequestDataTooBig()).status_code == 400


def test_an_unhandled_error_in_an_api_view_is_a_json_500(anonymous, pending_invite, settings):
    settings.INVITES = {"ADAPTER": f"{__name__}.broken_adapter"}
    response = anonymous.post(
        "/api/invites/accept/",
        {"token": pending_invite.token, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "A server error occurred.", "code": "server_error"}


def test_an_unhandled_error_on_the_accept_page_keeps_the_html_page(
    anonymous, pending_invite, settings
):
    anonymous.get(f"/invites/accept/?token={pending_invite.token}")
    settings.INVITES = {"ADAPTER": f"{__name__}.broken_adapter"}
    response = anonymous.get("/invites/accept/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    services.check_invite_token(pending_invite.token)  # nothing was used up


broken_adapter = BrokenAdapter()
