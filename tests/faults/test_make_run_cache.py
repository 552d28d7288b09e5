"""`make run` in production mode: the database cache gets its table before anything runs.

The demo's production cache (no CACHE_URL, DEBUG off) is the database cache. Its table
is missing on a fresh database, which `manage.py check` reports (W071) and the accept
page would answer with 503s; the set-up commands of `make run` create it.
"""

from __future__ import annotations

import shlex
import subprocess
import sys

from tests.test_demo_settings import ROOT, demo_env


def set_up_commands() -> list[str]:
    """The manage.py commands `make run` runs before it seeds and serves."""
    plan = subprocess.run(
        ["make", "-n", "run"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commands = []
    for line in plan.splitlines():
        words = shlex.split(line)
        if "manage.py" not in words:
            continue
        command = words[words.index("manage.py") + 1 :]
        if command[0] in {"seed_demo", "runserver"}:
            break
        commands.append(command)
    return commands


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_run_creates_the_cache_table_that_check_asks_for(tmp_path):
    env = demo_env(
        DEBUG="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="http://127.0.0.1:8000",
    )
    before = manage(env, "check")
    assert "invites.W071" in before.stderr

    for command in set_up_commands():
        result = manage(env, *command)
        assert result.returncode == 0, result.stderr[-2000:]

    after = manage(env, "check")
    assert after.returncode == 0, after.stderr[-2000:]
    assert "invites.W071" not in after.stdout + after.stderr
    assert "invites.W070" not in after.stdout + after.stderr  # it holds the counters
