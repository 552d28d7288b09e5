"""The demo project's settings, read from the environment, and its `seed_demo` command.

Each case imports the demo's settings in a fresh interpreter with a controlled
environment; ENV_FILE points at no file, so a developer's `.env` cannot interfere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rq_support import require_rq

ROOT = Path(__file__).resolve().parent.parent
DEMO_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "SITE_URL",
    "DATABASE_URL",
    "CACHE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "TASKS_BACKEND",
    "INVITE_VALID_DURATION",
    "INVITE_ACCEPT_URL",
    "INVITE_ACCEPT_RATE",
    "INVITE_EMAIL_COOLDOWN",
    "EMAIL_TIMEOUT",
    "DJANGO_SETTINGS_MODULE",
    "ALLOWED_HOSTS",
    "STATIC_ROOT",
    "NUM_PROXIES",
    "SECURE_PROXY_SSL",
    "HTTPS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "CSRF_TRUSTED_ORIGINS",
}


def demo_env(**variables: str | None) -> dict[str, str]:
    """This process's environment less the demo's variables, plus `variables`.

    SECRET_KEY and SITE_URL get placeholder values, as production needs both; a variable
    given as None is left unset.
    """
    env = {k: v for k, v in os.environ.items() if k not in DEMO_VARIABLES}
    defaults = {"SECRET_KEY": "x", "SITE_URL": "https://invites.example.org"}
    if variables.get("DEBUG") == "true":
        del defaults["SITE_URL"]
    merged = {**env, "ENV_FILE": str(ROOT / "no-such.env"), **defaults, **variables}
    return {k: v for k, v in merged.items() if v is not None}


def demo_setting(expression: str, **variables: str | None) -> str:
    """`repr()` of an expression over the demo's settings module `s`."""
    code = f"import inviteproject.settings as s; print(repr({expression}))"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=demo_env(**variables),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_site_url_has_a_development_default_only_while_debug_is_on():
    assert demo_setting("s.SITE_URL", DEBUG="true") == "'http://127.0.0.1:8000'"
    site = "https://invites.example.org"
    assert demo_setting("s.SITE_URL", DEBUG="false", SITE_URL=site) == repr(site)


SMTP_TIMEOUT = (
    "s.MAILERS['default']['OPTIONS'].get('timeout')"
    if __import__("django").VERSION >= (6, 1)
    else "getattr(s, 'EMAIL_TIMEOUT', None)"
)


def test_email_timeout_reaches_the_smtp_backend():
    smtp = "smtp://mail.example.com:587"
    assert demo_setting(SMTP_TIMEOUT, EMAIL_URL=smtp) == "10.0"
    assert demo_setting(SMTP_TIMEOUT, EMAIL_URL=smtp, EMAIL_TIMEOUT="2.5") == "2.5"
    assert demo_setting(SMTP_TIMEOUT, EMAIL_URL="consolemail://", EMAIL_TIMEOUT="3") == "None"


def test_accept_url_is_left_to_the_app_unless_set():
    assert demo_setting("'ACCEPT_URL' in s.INVITES") == "False"
    url = "https://join.example.org/?token={token}"
    assert demo_setting("s.INVITES['ACCEPT_URL']", INVITE_ACCEPT_URL=url) == repr(url)


def test_email_cooldown_comes_from_the_environment_in_seconds():
    assert demo_setting("s.INVITES['EMAIL_COOLDOWN']") == "datetime.timedelta(seconds=60)"
    assert demo_setting("s.INVITES['EMAIL_COOLDOWN']", INVITE_EMAIL_COOLDOWN="0") == (
        "datetime.timedelta(0)"
    )


def test_cache_comes_from_cache_url():
    # Shared by every process without DEBUG, as the accept rate limit needs.
    assert demo_setting("s.CACHES['default']['BACKEND']").endswith("DatabaseCache'")
    assert demo_setting("s.CACHES['default']['BACKEND']", DEBUG="true").endswith("LocMemCache'")
    dummy = demo_setting("s.CACHES['default']['BACKEND']", CACHE_URL="dummycache://")
    assert dummy.endswith("DummyCache'")


@pytest.mark.parametrize(
    ("value", "backend"),
    [
        (None, "ImmediateBackend"),
        ("immediate", "ImmediateBackend"),
        ("database", "django_tasks_db.DatabaseBackend"),
    ],
)
def test_tasks_backend_comes_from_the_environment(value, backend):
    variables = {} if value is None else {"TASKS_BACKEND": value}
    assert demo_setting("s.TASKS['default']['BACKEND']", **variables).endswith(f"{backend}'")


def test_tasks_backend_rq_queues_on_redis_url_and_caches_beside_it():
    require_rq()
    redis = {"TASKS_BACKEND": "rq", "REDIS_URL": "redis://redis.internal:6380/2"}
    assert demo_setting("s.TASKS['default']", **redis) == repr(
        {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    )
    pool = "s.RQ_QUEUES['default']['REDIS_CLIENT_KWARGS']['connection_pool'].connection_kwargs"
    assert demo_setting(f"({pool}['host'], {pool}['port'], {pool}['db'])", **redis) == repr(
        ("redis.internal", 6380, 2)
    )
    apps = demo_setting("s.INSTALLED_APPS", **redis)
    assert "'django_rq'" in apps
    assert "'django_tasks_rq'" in apps
    # The same server, the next database: `cache.clear()` empties its whole database.
    assert demo_setting("s.CACHES['default']", **redis) == repr(
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://redis.internal:6380/3",
        }
    )
    # Unset, REDIS_URL is Redis's own default; CACHE_URL still picks any other cache.
    assert demo_setting(f"({pool}['host'], {pool}['port'])", TASKS_BACKEND="rq") == repr(
        ("127.0.0.1", 6379)
    )
    other = demo_setting("s.CACHES['default']['BACKEND']", CACHE_URL="dummycache://", **redis)
    assert other.endswith("DummyCache'")
    # Other backends neither install django-rq nor move the cache.
    assert "'django_rq'" not in demo_setting("s.INSTALLED_APPS", REDIS_URL=redis["REDIS_URL"])
    assert demo_setting("s.CACHES['default']['BACKEND']", REDIS_URL=redis["REDIS_URL"]).endswith(
        "DatabaseCache'"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memcache://127.0.0.1:11211", "REDIS_URL must be a redis:// or rediss:// URL"),
        ("redis://127.0.0.1:6379/cache", "REDIS_URL's path must be a database number"),
        ("redis://127.0.0.1:6379/15", "REDIS_URL's database must be 0 to 14"),
    ],
)
def test_a_redis_url_the_cache_cannot_sit_beside_is_refused(url, message):
    require_rq()  # without the extra, TASKS_BACKEND=rq is refused before REDIS_URL is read
    out = subprocess.run(
        [sys.executable, "-c", "import inviteproject.settings"],
        env=demo_env(TASKS_BACKEND="rq", REDIS_URL=url),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert message in out.stderr


def test_tasks_backend_rq_without_the_rq_extra_says_what_to_install():
    # As if django-tasks-rq were not installed: a None entry makes it unimportable.
    code = "import sys; sys.modules['django_tasks_rq'] = None; import inviteproject.settings"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env=demo_env(TASKS_BACKEND="rq"),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "pip install 'django-invites[rq]'" in out.stderr


def test_an_unknown_tasks_backend_name_is_refused():
    out = subprocess.run(
        [sys.executable, "-c", "import inviteproject.settings"],
        env=demo_env(TASKS_BACKEND="celery"),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "TASKS_BACKEND must be one of immediate, database, rq" in out.stderr


def test_seed_demo_creates_an_admin_and_invites_once_and_sums_them_up(tmp_path):
    mail = tmp_path / "mail"
    env = demo_env(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        EMAIL_URL=f"filemail:///{mail}",
        DJANGO_SETTINGS_MODULE="inviteproject.settings",
    )

    def manage(*args: str) -> str:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    manage("migrate", "--noinput", "-v", "0")
    first = manage("seed_demo")
    again = manage("seed_demo")

    lines = first.splitlines()
    assert lines[0] == "The demo is ready."
    assert re.fullmatch(
        r"  Admin: +http://127\.0\.0\.1:8000/admin/  user admin, password \S{16}", lines[1]
    )
    link = r"http://127\.0\.0\.1:8000/invites/accept/\?token=[\w-]{43}"
    assert lines[2] == "  Invites:"
    assert len(lines) == 7
    invites = [line.split() for line in lines[3:]]
    assert [(status, email) for status, email, *_ in invites] == [
        ("pending", "ada@example.com"),
        ("expired", "alan@example.com"),
        ("accepted", "edsger@example.com"),
        ("pending", "grace@example.com"),
    ]
    assert [re.fullmatch(link, rest[0]) is not None for _, _, *rest in invites] == [
        True,
        False,
        False,
        True,
    ]
    # Seeded invites send no email, so none claims an expired or accepted invite is open.
    assert not mail.exists() or not list(mail.iterdir())
    assert "Content-Type" not in first

    assert "password unchanged" in again
    assert "pending   ada@example.com      (link shown once; resend it from the admin)" in again
