"""The test project's settings stand alone: a developer's environment cannot change them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SNAPSHOT = """
import json
import django
django.setup()
from django.conf import settings
from invites.conf import invites_settings
print(json.dumps({
    "ACCEPT_RATE": invites_settings.ACCEPT_RATE,
    "ACCEPT_URL": settings.INVITES.get("ACCEPT_URL") if hasattr(settings, "INVITES") else None,
    "SITE_URL": settings.SITE_URL,
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "TASKS": settings.TASKS["default"]["BACKEND"],
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "EMAIL": settings.EMAIL_BACKEND,
}))
"""


def snapshot(cwd: Path, **variables: str) -> dict[str, object]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SNAPSHOT],
        env={**env, **variables},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_a_developers_dotenv_and_environment_do_not_change_the_suite(tmp_path):
    # What a developer's .env (or shell) typically holds for the demo project.
    local = {
        "INVITE_ACCEPT_RATE": "2/minute",
        "INVITE_ACCEPT_URL": "https://elsewhere.example.org/?token={token}",
        "SITE_URL": "http://127.0.0.1:9999",
        "DEBUG": "true",
        "SECRET_KEY": "a-local-key",
        "TASKS_BACKEND": "database",
        "CACHE_URL": "dummycache://",
        "EMAIL_URL": "consolemail://",
    }
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in local.items()))

    clean = snapshot(ROOT)
    assert snapshot(tmp_path, **local) == clean
    assert clean["ACCEPT_RATE"] == "10/minute"
    assert clean["SITE_URL"] == "https://invites.example.com"
