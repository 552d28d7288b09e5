"""The version matrix: the suite on every supported Django and Python, and a third-party install.

    nox -s tests                 # every combination below (SQLite, and PostgreSQL where marked)
    nox -s "tests(django6.1-py3.13-sqlite)"
    nox -s thirdparty            # the built wheel in a brand-new project, per combination
    nox -l                       # list the sessions

PostgreSQL sessions use NOX_POSTGRES_URL (default postgres://invites:invites@127.0.0.1:5432/
invites; pytest-django creates and drops `test_<name>` beside it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
nox.options.sessions = ["tests", "allauth", "thirdparty"]
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True

# Django 5.2 LTS runs on Python 3.11-3.13; Django 6.0 and 6.1 need Python 3.12+.
# The suite on SQLite for a spread of the above; on PostgreSQL for the oldest and newest.
# The PostgreSQL sessions also install the `[rq]` extra and run the tests on Redis + RQ
# (real redis-server and rqworker processes); the SQLite ones run without it, so the
# matrix shows the suite passing both with and without the optional queue.
TESTS = [
    ("5.2", "3.11", "sqlite"),
    ("5.2", "3.13", "sqlite"),
    ("6.0", "3.12", "sqlite"),
    ("6.0", "3.13", "sqlite"),
    ("6.1", "3.13", "sqlite"),
    ("5.2", "3.11", "postgresql"),
    ("6.1", "3.13", "postgresql"),
]
THIRDPARTY = [("5.2", "3.11"), ("5.2", "3.13"), ("6.0", "3.12"), ("6.1", "3.13")]
# tests/allauth/ and the allauth third-party project, with the `[allauth]` extra: only these
# sessions install django-allauth, so the `tests` sessions show the suite without it.
ALLAUTH = [("5.2", "3.11"), ("6.1", "3.13")]
POSTGRES_URL = os.environ.get(
    "NOX_POSTGRES_URL", "postgres://invites:invites@127.0.0.1:5432/invites"
)


def _put_pyenv_interpreters_on_path() -> None:
    """Let nox find python3.12/python3.13 installed by pyenv without PYENV_VERSION.

    pyenv's shims answer only for the active version, so a bare `python3.13` fails unless
    PYENV_VERSION names it; the real executables live in `$(pyenv root)/versions/*/bin`.
    """
    try:
        root = subprocess.run(
            ["pyenv", "root"],  # noqa: S607 (wherever pyenv is on PATH)
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    versions = Path(root) / "versions"
    if not versions.is_dir():
        return

    def key(path: Path) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else -1 for p in path.name.split("."))

    # Newest patch release first, so python3.13 is the newest 3.13.x.
    bins = [str(v / "bin") for v in sorted(versions.iterdir(), key=key, reverse=True)]
    os.environ["PATH"] = os.pathsep.join([*bins, os.environ.get("PATH", "")])


_put_pyenv_interpreters_on_path()


def _constraints(session: nox.Session) -> str:
    """requirements.txt's pins for everything but Django, which each session picks."""
    path = Path(session.create_tmp()) / "constraints.txt"
    lines = [
        line
        for name in ("requirements.txt", "requirements-rq.txt", "requirements-allauth.txt")
        for line in (ROOT / name).read_text().splitlines()
    ]
    # Constraints take no extras: `psycopg[binary]==3.3.9` constrains `psycopg==3.3.9`.
    pins = [re.sub(r"\[[^]]*\]", "", line) for line in lines if line and line[0] != "#"]
    path.write_text("\n".join(p for p in pins if not p.lower().startswith("django==")) + "\n")
    return str(path)


@nox.session
@nox.parametrize(
    ("django", "python", "db"),
    [nox.param(*combo, id=f"django{combo[0]}-py{combo[1]}-{combo[2]}") for combo in TESTS],
)
def tests(session: nox.Session, django: str, db: str) -> None:
    """The whole suite with one Django on one Python and one database."""
    with_rq = db == "postgresql"
    session.install(
        "-c",
        _constraints(session),
        "-r",
        "requirements-test.txt",
        "django-environ",
        "psycopg[binary]",
        "whitenoise",
        ".[db,anymail,rq]" if with_rq else ".[db,anymail]",
        f"Django~={django}.0",
    )
    env = {
        "DATABASE_URL": POSTGRES_URL if db == "postgresql" else "sqlite://:memory:",
        # Without the extra its tests skip, even in CI (tests/rq_support.py).
        "INVITES_REQUIRE_RQ": "1" if with_rq else "0",
    }
    session.run("python", "-c", "import django, sys; print('Django', django.get_version())")
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *session.posargs, env=env)


@nox.session
@nox.parametrize(
    ("django", "python"),
    [nox.param(*combo, id=f"django{combo[0]}-py{combo[1]}") for combo in ALLAUTH],
)
def allauth(session: nox.Session, django: str) -> None:
    """tests/allauth/ under its own settings, with django-allauth installed (SQLite)."""
    session.install(
        "-c",
        _constraints(session),
        "-r",
        "requirements-test.txt",
        "django-environ",
        ".[db,allauth]",
        f"Django~={django}.0",
    )
    session.run("python", "-c", "import allauth; print('django-allauth', allauth.__version__)")
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--ds=tests.allauth.settings",
        "tests/allauth",
        *session.posargs,
        env={"DATABASE_URL": "sqlite://:memory:"},
    )


_wheel: list[Path] = []


def _built_wheel(session: nox.Session) -> Path:
    """Build the wheel once per nox run; every thirdparty session installs the same file."""
    if not _wheel:
        outdir = ROOT / ".nox" / "_dist"
        for old in outdir.glob("*.whl"):
            old.unlink()
        # With nox's own interpreter: `make matrix` runs nox from .venv, which has `build`.
        session.run(
            sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), ".", external=True
        )
        _wheel.extend(outdir.glob("django_invites-*.whl"))
    return _wheel[0]


@nox.session(venv_backend="none")
@nox.parametrize(
    ("django", "py"),
    [nox.param(*combo, id=f"django{combo[0]}-py{combo[1]}") for combo in THIRDPARTY],
)
def thirdparty(session: nox.Session, django: str, py: str) -> None:
    """The wheel installed into a fresh venv and a brand-new project (see the script)."""
    wheel = _built_wheel(session)
    interpreter = session.run(
        "python" + py,
        "-c",
        "import sys; print(sys.executable)",
        external=True,
        silent=True,
    )
    session.run(
        sys.executable,
        "scripts/thirdparty_install.py",
        "--django",
        django,
        "--python",
        str(interpreter).strip(),
        "--wheel",
        str(wheel),
        external=True,
    )
    if (django, py) in ALLAUTH:
        session.run(
            sys.executable,
            "scripts/thirdparty_install.py",
            "--django",
            django,
            "--python",
            str(interpreter).strip(),
            "--wheel",
            str(wheel),
            "--allauth",
            external=True,
        )
