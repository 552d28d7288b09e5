"""The accept rate limit across processes: one limit for all of them, or a warning.

The limit counts in Django's default cache. Two real processes of the demo project,
configured for production (DEBUG off, no CACHE_URL), must share one count; a project
whose cache is process-local gets a system check warning instead of a silent limit
that every process counts on its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

from tests.test_demo_settings import ROOT, demo_env

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
DATABASE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "invites_cache",
    }
}


def warning_ids() -> set[str]:
    return {message.id for message in run_checks() if message.id.startswith("invites.W")}


@pytest.mark.parametrize(
    ("caches", "debug", "expected"),
    [
        (LOCMEM, False, {"invites.W003"}),
        (DUMMY, False, {"invites.W004"}),
        (DATABASE, False, set()),
        (LOCMEM, True, set()),
        (DUMMY, True, set()),
    ],
)
def test_a_cache_that_processes_do_not_share_is_warned_about(settings, caches, debug, expected):
    settings.CACHES = caches
    settings.DEBUG = debug
    assert warning_ids() & {"invites.W003", "invites.W004"} == expected


ATTEMPTS = """
import django
django.setup()
from django.test import Client
client = Client()
statuses = [
    client.post(
        "/api/invites/accept/",
        {"token": "not-a-token", "password": "x"},
        content_type="application/json",
    ).status_code
    for _ in range(10)
]
print(" ".join(map(str, statuses)))
"""


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """The demo as configured for production: DEBUG off, no CACHE_URL, a fresh database."""
    env = demo_env(
        DEBUG="false",
        ALLOWED_HOSTS="testserver",
        SITE_URL="https://invites.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        EMAIL_URL="dummymail://",
        DJANGO_SETTINGS_MODULE="inviteproject.settings",
    )
    for command in (["migrate", "-v", "0"], ["createcachetable"]):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command], env=env, cwd=ROOT, check=True
        )
    return env


def attempts_in_a_new_process(env: dict[str, str]) -> list[int]:
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", ATTEMPTS], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return [int(status) for status in out.stdout.split()]


def test_two_processes_of_the_demo_share_one_accept_limit(production_env):
    first = attempts_in_a_new_process(production_env)
    second = attempts_in_a_new_process(production_env)
    # ACCEPT_RATE is 10/minute: the first process uses it up, the second gets only 429s.
    assert first == [400] * 10
    assert second == [429] * 10
