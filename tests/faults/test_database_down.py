"""A database that does not answer: 503 with `Retry-After`, JSON from the API, HTML pages.

Real outages on PostgreSQL: the test's connection is pointed at a port where nothing
listens, so every query of the request fails to connect, as during a restart.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.db import InterfaceError, connection
from django.http import HttpResponse
from django.test import Client
from rest_framework.test import APIClient

from invites.middleware import ServiceUnavailableMiddleware
from invites.tokens import mint_token
from tests.accept_page.helpers import ACCEPT, assert_page_headers, open_link, page_text
from tests.api.helpers import ACCEPT as API_ACCEPT
from tests.api.helpers import post_json
from tests.helpers import PASSWORD, requires_postgresql
from tests.security.test_secrets import run_demo

MIDDLEWARE = "invites.middleware.ServiceUnavailableMiddleware"
UNAVAILABLE = {
    "detail": "The service is unavailable for a moment. Please try again later.",
    "code": "service_unavailable",
}


@contextmanager
def database_down() -> Iterator[None]:
    """Every new connection of this process goes to 127.0.0.1:1, which refuses it."""
    connection.close()
    saved = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", 1
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["HOST"], connection.settings_dict["PORT"] = saved


@pytest.fixture
def with_middleware(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


def assert_retry_after(response) -> None:
    assert response.status_code == 503
    assert 1 <= int(response["Retry-After"]) <= 120


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_accept_endpoint_answers_503_json(pending_invite):
    client = APIClient(raise_request_exception=False)
    with database_down():
        response = post_json(
            client, API_ACCEPT, {"token": pending_invite.token, "password": PASSWORD}
        )
    assert_retry_after(response)
    assert response.json() == UNAVAILABLE


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_staff_endpoints_answer_503_json(django_user_model):
    staff = django_user_model.objects.create_superuser("ops", "ops@example.com", PASSWORD)
    client = APIClient(raise_request_exception=False)
    client.force_login(staff)  # the session is read from the database on each request
    with database_down():
        response = client.get("/api/invites/")
    assert_retry_after(response)
    assert response.json() == UNAVAILABLE


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_accept_page_answers_503_html(with_middleware, pending_invite):
    client = Client(raise_request_exception=False)
    open_link(client, pending_invite.token)
    with database_down():
        response = client.get(ACCEPT)
    assert_retry_after(response)
    assert response["Content-Type"].startswith("text/html")
    assert_page_headers(response)
    assert "Unavailable for a moment" in page_text(response)


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_any_page_of_the_project_answers_503_html(with_middleware):
    staff = get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    with database_down():
        response = client.get("/admin/invites/invite/")
    assert_retry_after(response)
    assert "Unavailable for a moment" in page_text(response)
    assert "no-cache" in response["Cache-Control"]


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_without_the_middleware_a_page_is_still_a_500(pending_invite):
    """What the middleware changes: Django's own handling answers 500, no Retry-After."""
    client = Client(raise_request_exception=False)
    open_link(client, pending_invite.token)
    with database_down():
        response = client.get(ACCEPT)
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.parametrize(
    "database_url",
    [
        "postgres://invites:invites@127.0.0.1:1/unreachable",
        "sqlite:////nonexistent-directory/invites.sqlite3",
    ],
    ids=["postgresql", "sqlite"],
)
def test_the_demo_answers_503_while_its_database_is_down(tmp_path, database_url):
    """The demo as deployed, its database unreachable, its cache answering."""
    token = mint_token(uuid.uuid4()).token
    body = json.dumps({"token": token, "password": PASSWORD})
    result = run_demo(
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False)\n"
        f"api = client.post('/api/invites/accept/', {body!r}, content_type='application/json')\n"
        f"client.get('/invites/accept/?token={token}')\n"
        "page = client.get('/invites/accept/')\n"
        "print(api.status_code, api['Retry-After'], api.json()['code'])\n"
        "print(page.status_code, page['Retry-After'], page['Content-Type'])\n",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        SITE_URL="https://invites.example.org",
        DATABASE_URL=database_url,
        CACHE_URL="locmemcache://",
        EMAIL_URL=f"filemail:///{tmp_path}",
        ADMINS="",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    api, page = result.stdout.splitlines()
    assert api == "503 30 service_unavailable"
    assert page == "503 30 text/html; charset=utf-8"
    assert "OperationalError" in result.stderr  # logged for the operators
    assert token not in result.stdout + result.stderr


def test_the_middleware_leaves_every_other_error_to_django(rf):
    middleware = ServiceUnavailableMiddleware(lambda request: HttpResponse())
    request = rf.get("/")
    assert middleware.process_exception(request, RuntimeError("a bug")) is None
    assert middleware(request).status_code == 200
    response = middleware.process_exception(request, InterfaceError("connection already closed"))
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
