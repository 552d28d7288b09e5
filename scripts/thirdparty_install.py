"""Install the built wheel into a brand-new project, as a third party would, and use it.

1. Builds the wheel (or takes `--wheel`), makes a fresh venv with `--python`, installs the
   wheel with its `[db]` extra and the Django under test (`--django 5.2` means 5.2.x).
2. `django-admin startproject`, plus an `accounts` app whose user model has `email` as
   USERNAME_FIELD and no username field at all.
3. Configures the project with exactly the settings block of the README's "Installing the
   app in your project" section (read from README.md, so the two cannot drift; its
   `...,` stands for the project's own apps), and mounts `invites.urls` under `team/`
   with the README's own `include` line.
4. `migrate`, `check`, `makemigrations --check --dry-run`, then a smoke run with Django's
   test Client: two invites, the admin's "refresh tokens" bulk action posted as a browser
   does, the emailed link opened, the invite accepted through the API.

With `--allauth`, step 4 is instead the django-allauth project of
`scripts/thirdparty_allauth.py` (its flows through the test Client and in Chromium).

Usage: python scripts/thirdparty_install.py --django 6.1 [--python python3.13] [--wheel W]
       [--allauth]
Exits non-zero, naming the failed step, when anything does not work.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[thirdparty {time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(  # noqa: S603 (our own tools, our own arguments)
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True
    )
    if result.returncode != 0:
        log(f"FAILED: {' '.join(str(a) for a in args)} exited {result.returncode}")
        print(result.stdout[-4000:], result.stderr[-6000:], sep="\n", file=sys.stderr)
        raise SystemExit(1)
    return result.stdout


def readme_install_snippet() -> tuple[str, str]:
    """The README's install block, split into its settings part and its `include` line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Installing the app in your project", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    if match is None:
        raise SystemExit("README: no ```python block under 'Installing the app in your project'")
    block = match.group(1)
    settings_part, urls_part = block.split("urlpatterns = [", 1)
    [include_line] = [line for line in urls_part.splitlines() if 'include("invites.urls")' in line]
    # The README's `...,` stands for what the project lists already.
    settings_part = settings_part.replace("    ...,\n", "    *INSTALLED_APPS,\n")
    return settings_part, include_line.strip()


def build_wheel(outdir: Path) -> Path:
    log("building the wheel")
    run(sys.executable, "-m", "build", "--wheel", "--outdir", outdir, ROOT)
    [wheel] = sorted(outdir.glob("django_invites-*.whl"))
    return wheel


ACCOUNTS_MODELS = '''
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models


class UserManager(BaseUserManager):
    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Email only: no username, no first or last name."""

    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
'''

SMOKE = """
import json
import os
import re
import sys
from urllib.parse import urlsplit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_project.settings")
django.setup()

from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

from invites import services
from invites.models import Invite

setup_test_environment()  # the locmem email backend: sent messages land in mail.outbox
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


User = get_user_model()
check(not hasattr(User, "username"), "the user model has no username field")
admin = User.objects.create_superuser("boss@example.com", "Admin-Password-42")
ada, grace = services.create_invites(["ada@example.com", "grace@example.com"])
check(len(mail.outbox) == 2, f"two invite emails sent (got {len(mail.outbox)})")

# A 500 is a failed check with its traceback printed, and the run goes on.
client = Client(raise_request_exception=False)
check(client.login(email="boss@example.com", password="Admin-Password-42"), "superuser login")
changelist = reverse("admin:invites_invite_changelist")
check(changelist == "/admin/invites/invite/", f"admin changelist at {changelist}")
first_emails = list(mail.outbox)
mail.outbox.clear()
response = client.post(
    changelist,
    {"action": "refresh_tokens", "_selected_action": [ada.pk, grace.pk], "index": 0},
    follow=True,
)
if not check(response.status_code == 200, f"bulk action answers 200 (got {response.status_code})"):
    print("     " + str(getattr(response, "exc_info", None) and response.exc_info[1]))
page = response.content.decode(errors="replace")
check(
    "2 invites were given a new token and resent." in page,
    "bulk action reports its success message",
)
check(len(mail.outbox) == 2, f"two new emails after the refresh (got {len(mail.outbox)})")



def link_to_ada(messages):
    for message in messages:
        if "ada@example.com" in message.to:
            found = re.findall(r"https?://[^\\s\\"<>]+token=[\\w-]+", message.body)
            if found:
                return found[0]
    return None


link = link_to_ada(mail.outbox)
if not check(link is not None, "the refreshed email to ada carries a link"):
    # The rest still checks the page and the API, with the link of the first email.
    link = link_to_ada(first_emails) or "https://app.example.com/missing/?token=x"
# The token is a secret even here: the log shows where the link goes, not what it opens.
print("     link:", re.sub(r"token=[\\w-]+", "token=********", link))
parts = urlsplit(link)
check(
    f"{parts.scheme}://{parts.netloc}" == "https://app.example.com",
    "the link is built on SITE_URL",
)
check(
    parts.path == "/team/invites/accept/",
    f"the link points under the project's mount: /team/invites/accept/ (got {parts.path})",
)
token = parts.query.split("token=", 1)[-1]

visitor = Client(raise_request_exception=False)
response = client.get("/team/api/invites/")
check(response.status_code == 200, f"API list, admin session: 200 (got {response.status_code})")
# rest_framework.authtoken is not installed here: a token header must not break the API.
response = visitor.get("/team/api/invites/", HTTP_AUTHORIZATION="Token 0123456789abcdef")
check(
    response.status_code in (401, 403),
    f"API with a token header but no authtoken app: 401/403 (got {response.status_code})",
)
response = visitor.get(f"/team/invites/accept/?token={token}")
check(response.status_code == 302, f"opening the link redirects (got {response.status_code})")
check(
    response.get("Location", "") == "/team/invites/accept/",
    f"... to /team/invites/accept/ (got {response.get('Location')})",
)
response = visitor.get("/team/invites/accept/")
check(response.status_code == 200, f"the accept form answers 200 (got {response.status_code})")
check(b"<form" in response.content, "the accept page shows a form")

response = visitor.post(
    "/team/api/invites/accept/",
    json.dumps({"token": token, "password": "Correct-Horse-Battery-42"}),
    content_type="application/json",
)
check(response.status_code == 201, f"API accept answers 201 (got {response.status_code})")
if response.status_code != 201:
    print("     body:", response.content[:500])
check(
    User.objects.filter(email="ada@example.com").exists(),
    "the invitee's user exists after accepting",
)
check(
    Invite.objects.get(pk=ada.pk).status == "accepted",
    "the invite is accepted",
)

if failures:
    print(f"{len(failures)} smoke check(s) failed", flush=True)
    sys.exit(1)
print("smoke run passed", flush=True)
"""


def make_project(python: Path, directory: Path) -> Path:
    """A new project with an email-only user model, configured from the README."""
    bindir = python.parent
    directory.mkdir(parents=True)
    run(bindir / "django-admin", "startproject", "site_project", directory)
    accounts = directory / "accounts"
    (accounts / "migrations").mkdir(parents=True)
    (accounts / "__init__.py").write_text("")
    (accounts / "migrations" / "__init__.py").write_text("")
    (accounts / "models.py").write_text(ACCOUNTS_MODELS)

    settings_part, include_line = readme_install_snippet()
    settings_file = directory / "site_project" / "settings.py"
    settings_file.write_text(
        settings_file.read_text()
        + "\n# --- from README.md, 'Installing the app in your project' ---\n"
        + settings_part
        + "\n# --- the project's own user model ---\n"
        + 'INSTALLED_APPS += ["accounts"]\nAUTH_USER_MODEL = "accounts.User"\n'
    )
    mounted = include_line.replace('path("",', 'path("team/",', 1)
    if mounted == include_line:
        raise SystemExit(f"README: cannot mount {include_line!r} under a prefix")
    (directory / "site_project" / "urls.py").write_text(
        textwrap.dedent(
            f"""\
            from django.contrib import admin
            from django.urls import include, path

            urlpatterns = [
                path("admin/", admin.site.urls),
                {mounted}
            ]
            """
        )
    )
    (directory / "smoke.py").write_text(SMOKE)
    return directory


def check_wheel_holds_the_app_only(wheel: Path) -> None:
    """The wheel is the `invites` package and its metadata: no demo, no tests, no demo data."""
    names = zipfile.ZipFile(wheel).namelist()
    strays = [
        name
        for name in names
        if not name.startswith(("invites/", "django_invites-"))
        or "seed_demo" in name
        or "/tests/" in name
    ]
    if strays:
        raise SystemExit(f"the wheel holds more than the app: {strays}")
    log(f"{wheel.name}: {len(names)} files, the app only")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--django", required=True, help="Django series, e.g. 5.2, 6.0, 6.1")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the venv")
    parser.add_argument("--wheel", type=Path, help="a built wheel (default: build one)")
    parser.add_argument("--workdir", type=Path, help="keep everything here (default: temp)")
    parser.add_argument(
        "--allauth", action="store_true", help="the django-allauth project instead of the plain one"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="invites-thirdparty-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        wheel = (args.wheel or build_wheel(workdir / "dist")).resolve()
        check_wheel_holds_the_app_only(wheel)
        log(f"fresh venv with {args.python}, Django {args.django}.x and {wheel.name}[db]")
        run(args.python, "-m", "venv", workdir / "venv")
        python = workdir / "venv" / "bin" / "python"
        if args.allauth:
            from thirdparty_allauth import run_allauth

            run_allauth(python, wheel, args.django, workdir)
            return
        run(python, "-m", "pip", "install", "-q", f"{wheel}[db]", f"Django~={args.django}.0")
        versions = run(
            python,
            "-c",
            "import sys, django; print(sys.version.split()[0], django.get_version())",
        )
        log(f"Python and Django in the venv: {versions.strip()}")

        project = make_project(python, workdir / "project")
        log("migrate, check, makemigrations --check")
        run(python, "manage.py", "makemigrations", "accounts", "-v", "0", cwd=project)
        run(python, "manage.py", "migrate", "--noinput", "-v", "0", cwd=project)
        print(run(python, "manage.py", "check", cwd=project).strip())
        run(python, "manage.py", "makemigrations", "--check", "--dry-run", cwd=project)
        log("smoke run with the test Client")
        result = subprocess.run(  # noqa: S603
            [str(python), "smoke.py"], cwd=project, capture_output=True, text=True
        )
        print(result.stdout, end="")
        if result.returncode != 0:
            print(result.stderr[-6000:], file=sys.stderr)
            log("FAILED: smoke run")
            raise SystemExit(1)
        log("passed")


if __name__ == "__main__":
    main()
