"""Secrets in logs and error reports: no raw token, no password, anywhere.

An error report (the debug page with DEBUG on, the admins' email without it) lists
the request's query and form fields and every frame's local variables; the views and
services that hold a token or a password mark them sensitive, and the accept link's
token is taken out of the request itself. The demo logs every unhandled error with its
traceback, and its log lines (the servers' request lines included) carry no token.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid
from typing import Any

import django
import pytest
from django.core import mail
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from invites.log import RedactTokens, redact
from invites.models import Invite
from invites.tokens import hash_token, mint_token
from tests.helpers import PASSWORD
from tests.test_demo_settings import ROOT, demo_env, demo_setting

pytestmark = pytest.mark.django_db
ADAPTER = f"{__name__}.broken_adapter"


class BrokenAdapter:
    """An adapter whose every use fails, as a bug in a project's adapter would."""

    def __call__(self) -> BrokenAdapter:
        return self

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"a bug in the project's adapter ({name})")


broken_adapter = BrokenAdapter()


class BrokenCache(LocMemCache):
    """A cache that is down, as a database cache is during an outage."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the cache is down")


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


@pytest.fixture
def admins(settings: Any) -> None:
    # Django 6.0 takes plain addresses and deprecates (name, address) pairs.
    settings.ADMINS = (
        ["ops@example.com"] if django.VERSION >= (6, 0) else [("Ops", "ops@example.com")]
    )
    settings.DEBUG = False


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


def accept_by_api(client: Client, token: str) -> Any:
    body = {"token": token, "password": PASSWORD}
    return client.post("/api/invites/accept/", body, content_type="application/json")


def accept_on_the_page(client: Client, token: str) -> Any:
    client.get(f"/invites/accept/?token={token}")
    invite = Invite.objects.get(token_hash=hash_token(token))  # the form's hidden field
    data = {"password1": PASSWORD, "password2": PASSWORD, "invite": str(invite.pk)}
    return client.post("/invites/accept/", data)


def test_a_minted_tokens_repr_hides_the_token_and_the_nonce():
    minted = mint_token(uuid.uuid4())
    assert_no_secret(repr(minted), minted.token, minted.nonce)
    assert minted.digest in repr(minted)


@pytest.mark.parametrize("accept", [accept_by_api, accept_on_the_page])
def test_the_debug_page_of_a_500_during_accept_shows_no_secret(
    anonymous, pending_invite, settings, accept
):
    anonymous.get(f"/invites/accept/?token={pending_invite.token}")  # the page's cookie
    settings.DEBUG = True
    settings.INVITES = {"ADAPTER": ADAPTER}
    response = accept(anonymous, pending_invite.token)
    assert response.status_code == 500
    page = response.content.decode()
    assert "a bug in the project&#x27;s adapter" in page  # the technical page
    assert_no_secret(page, pending_invite.token, PASSWORD)


def test_the_debug_page_of_a_500_while_opening_the_link_shows_no_token(
    anonymous, pending_invite, settings
):
    settings.DEBUG = True
    settings.INVITES = {"ACCEPT_RATE": "ten a minute"}  # a bug E-checks would report
    response = anonymous.get(f"/invites/accept/?token={pending_invite.token}")
    assert response.status_code == 500
    page = response.content.decode()
    assert "ValueError" in page
    assert "token=********" in page
    assert_no_secret(page, pending_invite.token)


def test_the_log_of_a_link_opened_during_a_cache_outage_has_no_token(
    anonymous, pending_invite, settings, caplog
):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.BrokenCache"}}
    with caplog.at_level(logging.ERROR, logger="invites"):
        response = anonymous.get(f"/invites/accept/?token={pending_invite.token}")
    assert response.status_code == 302  # to the 503 page, without the token
    assert "the cache is down" in caplog.text  # the traceback is logged
    assert_no_secret(caplog.text, pending_invite.token)


@pytest.mark.parametrize("accept", [accept_by_api, accept_on_the_page])
def test_the_admins_error_email_carries_no_secret(
    anonymous, pending_invite, settings, admins, accept
):
    anonymous.get(f"/invites/accept/?token={pending_invite.token}")
    settings.INVITES = {"ADAPTER": ADAPTER}
    assert accept(anonymous, pending_invite.token).status_code == 500
    [email] = mail.outbox
    assert email.to == ["ops@example.com"]
    assert "a bug in the project's adapter" in email.body
    assert_no_secret(email.body, pending_invite.token, PASSWORD)


def test_the_admins_error_email_of_a_link_opened_with_a_bug_has_no_token(
    anonymous, pending_invite, settings, admins
):
    settings.INVITES = {"ACCEPT_RATE": "ten a minute"}
    assert anonymous.get(f"/invites/accept/?token={pending_invite.token}").status_code == 500
    [email] = mail.outbox
    assert "ValueError" in email.body
    assert_no_secret(email.body, pending_invite.token)


def test_the_filter_redacts_token_parameters_and_raw_tokens():
    token = mint_token(uuid.uuid4()).token
    assert redact(f'"GET /invites/accept/?token={token} HTTP/1.1" 302') == (
        '"GET /invites/accept/?token=******** HTTP/1.1" 302'
    )
    assert redact(f"/join/{token}/") == "/join/********/"
    assert redact("/invites/accept/?lang=de&token=short&x=1") == (
        "/invites/accept/?lang=de&token=********&x=1"
    )
    record = logging.LogRecord("x", logging.INFO, "", 0, "%(r)s %(s)s", None, None)
    record.args = {"r": f"GET /?token={token}", "s": 302}
    RedactTokens().filter(record)
    assert record.getMessage() == "GET /?token=******** 302"


def run_demo(code: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run `code` after `django.setup()` with the demo's settings and this environment."""
    env = demo_env(DJANGO_SETTINGS_MODULE="inviteproject.settings", **variables)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("debug", ["true", "false"])
def test_the_demos_server_log_lines_carry_no_token(debug):
    token = mint_token(uuid.uuid4()).token
    line = f"GET /invites/accept/?token={token} HTTP/1.1"
    result = run_demo(
        "import logging\n"
        f"logging.getLogger('django.server').info('\"%s\" %s %s', {line!r}, '302', '0')",
        DEBUG=debug,
    )
    assert '"GET /invites/accept/?token=******** HTTP/1.1" 302 0' in result.stderr
    assert_no_secret(result.stdout + result.stderr, token)


def test_the_demo_logs_an_outage_with_its_traceback_and_no_secret(tmp_path):
    """The database is down: the throttle's cache fails, and both refuse with 503s."""
    token = mint_token(uuid.uuid4()).token
    body = json.dumps({"token": token, "password": PASSWORD})
    result = run_demo(
        "from django.test import Client\n"
        "client = Client(raise_request_exception=False)\n"
        f"api = client.post('/api/invites/accept/', {body!r}, content_type='application/json')\n"
        f"client.get('/invites/accept/?token={token}')\n"
        "page = client.get('/invites/accept/')\n"
        "print(api.status_code, api['Content-Type'], api.content.decode())\n"
        "print(page.status_code, page['Retry-After'])\n",
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        SITE_URL="https://invites.example.org",
        DATABASE_URL="postgres://invites:invites@127.0.0.1:1/unreachable",
        EMAIL_URL=f"filemail:///{tmp_path}",
        ADMINS="",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    api, page = result.stdout.splitlines()
    assert api.startswith("503 application/json")
    assert '"code":"service_unavailable"' in api
    assert page == "503 30"
    assert "ERROR invites.ratelimit: The accept rate limit's cache" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "OperationalError" in result.stderr
    assert_no_secret(result.stdout + result.stderr, token, PASSWORD)


def backend_expression() -> str:
    # Django 6.1 configures email in MAILERS; older versions in EMAIL_BACKEND.
    return "getattr(s, 'MAILERS', {}).get('default', {}).get('BACKEND') or s.EMAIL_BACKEND"


def test_the_demo_prints_emails_to_the_console_only_while_debug_is_on():
    assert "console" in demo_setting(backend_expression(), DEBUG="true")
    assert "smtp" in demo_setting(backend_expression(), DEBUG="false")
    assert "dummy" in demo_setting(backend_expression(), DEBUG="false", EMAIL_URL="dummymail://")
