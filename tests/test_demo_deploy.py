"""The demo in production: the required variables, proxies, HTTPS, `check --deploy`.

As in test_demo_settings.py, each case runs the demo in a fresh interpreter with a
controlled environment.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import pytest

from tests.test_demo_settings import ROOT, demo_env, demo_setting


def manage(*args: str, **variables: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        env=demo_env(DJANGO_SETTINGS_MODULE="inviteproject.settings", **variables),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def documented_production_env() -> dict[str, str]:
    """The variables of the first `bash` block of docs/deployment.md's checklist."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    block = re.search(r"```bash\n(DEBUG=false\n.*?)```", text, re.DOTALL)
    assert block, "docs/deployment.md lost its production environment block"
    pairs = (line.split("=", 1) for line in block.group(1).splitlines() if line)
    return dict(pairs)


def test_every_missing_production_variable_is_named_in_one_message():
    result = manage("check", DEBUG="false", SECRET_KEY=None, SITE_URL=None)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [message] = result.stderr.strip().splitlines()
    assert message.startswith("ImproperlyConfigured: DEBUG is off")
    assert "SECRET_KEY (" in message
    assert "SITE_URL (" in message


def test_only_the_missing_variables_are_named():
    result = manage("check", DEBUG="false", SECRET_KEY="x", SITE_URL=None)
    assert result.returncode != 0
    assert "SITE_URL (" in result.stderr
    assert "SECRET_KEY" not in result.stderr
    assert manage("check", DEBUG="true", SECRET_KEY=None).returncode == 0


def test_the_proxy_count_comes_from_the_environment():
    assert demo_setting("s.REST_FRAMEWORK['NUM_PROXIES']") == "0"
    assert demo_setting("s.REST_FRAMEWORK['NUM_PROXIES']", NUM_PROXIES="1") == "1"


def test_behind_a_tls_proxy_cookies_are_secure_and_http_is_redirected():
    https = {"DEBUG": "false", "SITE_URL": "https://invites.example.org"}
    names = "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT"
    values = "(" + ", ".join(f"s.{name}" for name in names) + ")"
    # Django cannot tell HTTPS from HTTP without the proxy's header: no redirect yet.
    assert demo_setting(values, **https) == "(True, True, False)"
    assert demo_setting(values, SECURE_PROXY_SSL="true", **https) == "(True, True, True)"
    assert demo_setting("s.SECURE_PROXY_SSL_HEADER", SECURE_PROXY_SSL="true", **https) == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    # Plain HTTP, or development: cookies go over HTTP too.
    http = {"DEBUG": "false", "SITE_URL": "http://127.0.0.1:8000", "SECURE_PROXY_SSL": "true"}
    assert demo_setting(values, **http) == "(False, False, False)"
    assert demo_setting(values, DEBUG="true") == "(False, False, False)"
    assert demo_setting(values, SESSION_COOKIE_SECURE="false", **https) == "(False, True, False)"


def test_hsts_and_trusted_origins_come_from_the_environment():
    names = "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"
    values = "(" + ", ".join(f"s.{name}" for name in names) + ")"
    assert demo_setting(values) == "(0, False, False)"
    hsts = {
        "SECURE_HSTS_SECONDS": "3600",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
    }
    assert demo_setting(values, **hsts) == "(3600, True, True)"
    origins = "https://a.example.org,https://*.example.org"
    assert demo_setting("s.CSRF_TRUSTED_ORIGINS", CSRF_TRUSTED_ORIGINS=origins) == repr(
        ["https://a.example.org", "https://*.example.org"]
    )


def test_static_files_are_served_by_whitenoise_from_static_root(tmp_path):
    assert "'whitenoise.middleware.WhiteNoiseMiddleware'" in demo_setting("s.MIDDLEWARE")
    assert demo_setting("str(s.STATIC_ROOT)", STATIC_ROOT=str(tmp_path)) == repr(str(tmp_path))


def production_check(tmp_path, **overrides: str | None) -> subprocess.CompletedProcess[str]:
    env = {
        **documented_production_env(),
        # A strong key of this run, and a database that exists here.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **overrides,
    }
    return manage("check", "--deploy", "--fail-level", "WARNING", **env)


def test_check_deploy_is_clean_for_the_documented_production_environment(tmp_path):
    result = production_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "warning"),
    [
        ("SECURE_HSTS_SECONDS", "security.W004"),
        ("SECURE_PROXY_SSL", "security.W008"),
    ],
)
def test_check_deploy_warns_without_the_documented_variable(tmp_path, variable, warning):
    result = production_check(tmp_path, **{variable: None})
    assert result.returncode != 0
    assert warning in result.stderr


PROBE = """
from django.test import Client
client = Client()
for method, path in [("get", "/healthz"), ("head", "/healthz"), ("post", "/healthz"), ("get", "/")]:
    response = getattr(client, method)(path, HTTP_HOST="10.0.0.7")
    body = response.content.decode().strip() if path == "/healthz" else ""
    print(method, path, response.status_code, body or "-")
"""


def probe_health(tmp_path, **overrides: str | None) -> subprocess.CompletedProcess[str]:
    """A load balancer's plain-HTTP probes, by address, of the demo in production."""
    env = {
        **documented_production_env(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'health.sqlite3'}",
        **overrides,
    }
    result = manage("shell", "--no-imports", "-c", PROBE, **env)
    assert result.returncode == 0, result.stderr
    return result


def test_health_check_answers_a_plain_http_probe_by_address(tmp_path):
    # Behind a TLS proxy, every other page redirects plain HTTP and checks the Host.
    assert probe_health(tmp_path).stdout.splitlines() == [
        "get /healthz 200 ok",
        "head /healthz 200 -",
        "post /healthz 405 -",
        "get / 400 -",
    ]


def test_health_check_is_a_503_while_the_database_does_not_answer(tmp_path):
    # Nothing listens on port 1: the server is down.
    password = secrets.token_urlsafe(12)
    database = f"postgres://invites:{password}@127.0.0.1:1/invites"
    result = probe_health(tmp_path, DATABASE_URL=database)
    assert result.stdout.splitlines()[0] == "get /healthz 503 database unavailable"
    assert "Health check: the database does not answer (OperationalError)." in result.stderr
    assert password not in result.stdout + result.stderr
