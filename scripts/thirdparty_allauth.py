"""The built wheel in a brand-new project that signs people up with django-allauth.

Run by `scripts/thirdparty_install.py --allauth` (nox `thirdparty`), with its venv
helpers. The project: an email-only user model, the README's install block, then the
settings block of docs/allauth.md (read from the page, so the two cannot drift):
mandatory verification, `INVITE_ONLY`, allauth's offline `dummy` social provider, and
djangorestframework-simplejwt as the API's only authentication. Then:

1. accept on the page, then an allauth login with no verification step;
2. an existing user with an invite that grants a group signs in from the invite,
   returns to it and joins;
3. invite-only: sign-up closed without an invite, open with one and accepting it, a
   different email refused;
4. a social sign-up with the invited email accepts it; another email is refused;
5. the API with JWT: Bearer works, `Token` and anonymous calls get 401.

1-5 run through Django's test Client; 1-4 then run once more in headless Chromium
(playwright, `/usr/bin/chromium`) against `runserver`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from thirdparty_install import ACCOUNTS_MODELS, ROOT, log, readme_install_snippet, run

PASSWORD = "Allauth-Invitee-Passphrase-42"  # noqa: S105 (a throwaway project's)
CHROMIUM = os.environ.get("INVITES_CHROMIUM", "/usr/bin/chromium")
# This project's own ports; the first free one is used.
PORTS = range(8210, 8220)


def docs_settings_snippet() -> str:
    """The settings block of docs/allauth.md's "Settings" section."""
    page = (ROOT / "docs" / "allauth.md").read_text(encoding="utf-8")
    section = page.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    if match is None:
        raise SystemExit("docs/allauth.md: no ```python block under 'Settings'")
    return match.group(1)


PROJECT_SETTINGS = """
# --- the project's own choices ---
INSTALLED_APPS += ["accounts", "allauth.socialaccount.providers.dummy"]
AUTH_USER_MODEL = "accounts.User"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_RATE_LIMITS = False
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "rest_framework_simplejwt.authentication.JWTAuthentication",
]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
LOGIN_REDIRECT_URL = "/welcome/"
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8210")
INVITES["SEND_EMAILS"] = False
"""

URLS = """
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from rest_framework_simplejwt.views import TokenObtainPairView


def welcome(request):
    return HttpResponse(f"Welcome {request.user.get_username()}")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/token/", TokenObtainPairView.as_view()),
    path("welcome/", welcome),
    {include_line}
]
"""

SMOKE = """
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_project.settings")
django.setup()

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.test.utils import setup_test_environment

from invites import services
from invites.models import Invite

setup_test_environment()
PASSWORD = "{password}"
User = get_user_model()
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)
    return condition


def templates(response):
    return [t.name for t in (response.templates or [])]


def verified(email):
    return EmailAddress.objects.filter(email=email, verified=True, primary=True).exists()


def open_link(client, invite):
    return client.get(f"/invites/accept/?token={{invite.token}}", follow=True)


def social(client, uid, email, verified=True):
    response = client.post("/accounts/dummy/login/")
    data = {{"id": uid, "email": email}}
    if verified:
        data["email_verified"] = "on"
    return client.post(response["Location"], data)


check(not hasattr(User, "username"), "the user model has no username field")

# 1. accept on the page, then an allauth login with no verification step
ada = services.create_invites(["ada@example.com"])[0]
client = Client(raise_request_exception=False)
open_link(client, ada)
response = client.post(
    "/invites/accept/", {{"invite": str(ada.pk), "password1": PASSWORD, "password2": PASSWORD}}
)
check(response.status_code == 302, f"1: accept on the page redirects ({{response.status_code}})")
check(verified("ada@example.com"), "1: the invite's address is verified and primary")
client.logout()
mail.outbox.clear()
response = client.post("/accounts/login/", {{"login": "ada@example.com", "password": PASSWORD}})
check(
    response.status_code == 302 and response["Location"] == "/welcome/",
    f"1: allauth login goes straight in ({{response.status_code}} {{response.get('Location')}})",
)
check(mail.outbox == [], "1: no confirmation email")

# 2. an existing user with an invite that grants a group: sign in from it, return, join
grace = User.objects.create_user("grace@example.com", PASSWORD)
EmailAddress.objects.create(user=grace, email="grace@example.com", verified=True, primary=True)
engineers = Group.objects.create(name="Engineers")
invite = services.create_invites(["grace@example.com"], groups=[engineers])[0]
client = Client(raise_request_exception=False)
page = open_link(client, invite)
link = "/accounts/login/?next=%2Finvites%2Faccept%2F"
check(link.encode() in page.content, "2: the page's sign-in link is allauth's, with next")
response = client.post(link, {{"login": "grace@example.com", "password": PASSWORD}})
check(response.get("Location") == "/invites/accept/", "2: the login returns to the invite")
page = client.get("/invites/accept/")
check(b'value="join"' in page.content, "2: back on the invite, a Join button")
client.post("/invites/accept/", {{"invite": str(invite.pk), "action": "join"}})
invite.refresh_from_db()
check(invite.accepted_by == grace, "2: joined")
check(grace.groups.filter(name="Engineers").exists(), "2: the group was granted")

# 3. invite-only sign-up
client = Client(raise_request_exception=False)
check(
    "account/signup_closed.html" in templates(client.get("/accounts/signup/")),
    "3: sign-up closed without an invite",
)
client.post(
    "/accounts/signup/",
    {{"email": "bob@example.com", "password1": PASSWORD, "password2": PASSWORD}},
)
check(not User.objects.filter(email="bob@example.com").exists(), "3: no account without one")
bob = services.create_invites(["bob@example.com"], groups=[engineers])[0]
open_link(client, bob)
page = client.get("/accounts/signup/")
check(b'value="bob@example.com"' in page.content, "3: sign-up open, the invite's email in it")
response = client.post(
    "/accounts/signup/",
    {{"email": "mallory@example.com", "password1": PASSWORD, "password2": PASSWORD}},
)
check(
    response.status_code == 200 and not User.objects.filter(email="mallory@example.com").exists(),
    "3: a different email is refused",
)
response = client.post(
    "/accounts/signup/",
    {{"email": "bob@example.com", "password1": PASSWORD, "password2": PASSWORD}},
)
check(response.get("Location") == "/welcome/", "3: sign-up signs in with no verification")
bob.refresh_from_db()
check(bob.accepted and bob.accepted_by.email == "bob@example.com", "3: the invite is accepted")
check(bob.accepted_by.groups.filter(name="Engineers").exists(), "3: its group was granted")
check(verified("bob@example.com"), "3: the address is verified")

# 4. social sign-up through the dummy provider
client = Client(raise_request_exception=False)
check(
    "account/signup_closed.html" in templates(social(client, 1, "anyone@example.com")),
    "4: social sign-up closed without an invite",
)
carol = services.create_invites(["carol@example.com"])[0]
open_link(client, carol)
response = social(client, 2, "carol@example.com")
check(response.status_code == 302, f"4: social sign-up, invited email ({{response.status_code}})")
carol.refresh_from_db()
linked = SocialAccount.objects.filter(user=carol.accepted_by).exists()
check(carol.accepted and linked, "4: accepted, the social account linked")
check(verified("carol@example.com"), "4: the address is verified")
dave = services.create_invites(["dave@example.com"])[0]
client = Client(raise_request_exception=False)
open_link(client, dave)
response = social(client, 3, "eve@example.com")
check(
    response.status_code == 403 and b"dave@example.com" not in response.content,
    "4: another email is refused, the invited address not shown",
)
check(not User.objects.filter(email="eve@example.com").exists(), "4: no account for it")

# 5. the API with JWT only
admin = User.objects.create_superuser("boss@example.com", PASSWORD)
api = Client(raise_request_exception=False)
token = api.post(
    "/api/token/",
    {{"email": "boss@example.com", "password": PASSWORD}},
    content_type="application/json",
).json()["access"]
response = api.get("/api/invites/", HTTP_AUTHORIZATION=f"Bearer {{token}}")
check(response.status_code == 200, f"5: Bearer lists invites ({{response.status_code}})")
response = api.get("/api/invites/")
check(
    response.status_code == 401 and "Bearer" in response.get("WWW-Authenticate", ""),
    f"5: anonymous gets 401 with a Bearer challenge ({{response.get('WWW-Authenticate')}})",
)
response = api.get("/api/invites/", HTTP_AUTHORIZATION="Token abc")
check(response.status_code == 401, "5: a Token header means nothing here")
schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
check("bearer" in schema.lower(), "5: the schema carries the Bearer scheme")

if failures:
    print(f"{{len(failures)}} allauth check(s) failed", flush=True)
    sys.exit(1)
print("allauth smoke run passed", flush=True)
"""

# Invites for the browser run, made in the project's own database; prints their tokens.
BROWSER_SETUP = """
import json
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from invites import services

User = get_user_model()
old = User.objects.create_user("b-old@example.com", "{password}")
EmailAddress.objects.create(user=old, email="b-old@example.com", verified=True, primary=True)
group, _ = Group.objects.get_or_create(name="Browsers")
made = {{
    "new": services.create_invites(["b-new@example.com"])[0],
    "old": services.create_invites(["b-old@example.com"], groups=[group])[0],
    "signup": services.create_invites(["b-signup@example.com"])[0],
    "social": services.create_invites(["b-social@example.com"])[0],
}}
print(json.dumps({{name: invite.token for name, invite in made.items()}}))
"""

BROWSER_VERIFY = """
from allauth.account.models import EmailAddress
from invites.models import Invite

for name in ["new", "old", "signup", "social"]:
    email = f"b-{name}@example.com"
    invite = Invite.objects.get(email=email)
    verified = EmailAddress.objects.filter(email=email, verified=True, primary=True).exists()
    assert invite.accepted and invite.accepted_by is not None and verified, email
print("browser flows recorded")
"""

BROWSER = """
import json
import sys

from playwright.sync_api import sync_playwright

base, chromium, password = sys.argv[1], sys.argv[2], sys.argv[3]
tokens = json.loads(sys.stdin.read())
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def step(what):
    print("ok   browser: " + what, flush=True)


with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)

    # 1. accept on the page, sign out, allauth login with no verification step
    page = browser.new_context().new_page()
    page.goto(f"{base}/invites/accept/?token={tokens['new']}")
    assert "token=" not in page.url, page.url
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/welcome/")
    step("1 accepted on the page, signed in")
    page.goto(f"{base}/accounts/logout/")
    page.click("form button[type=submit]")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "b-new@example.com")
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/welcome/")
    step("1 allauth login went straight in")

    # 2. an existing user: sign in from the invite, return, join
    page = browser.new_context().new_page()
    page.goto(f"{base}/invites/accept/?token={tokens['old']}")
    page.click("#sign-in")
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", "b-old@example.com")
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/invites/accept/")
    page.click("button[value=join]")
    page.wait_for_url(f"{base}/welcome/")
    step("2 signed in from the invite, returned, joined")

    # 3. invite-only sign-up
    page = browser.new_context().new_page()
    page.goto(f"{base}/accounts/signup/")
    assert "Sign Up Closed" in page.content(), "sign-up open without an invite"
    step("3 sign-up closed without an invite")
    page.goto(f"{base}/invites/accept/?token={tokens['signup']}")
    page.goto(f"{base}/accounts/signup/")
    assert page.input_value("input[name=email]") == "b-signup@example.com"
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/welcome/")
    step("3 sign-up with the invite accepted it and signed in")

    # 4. social sign-up through the dummy provider
    page = browser.new_context().new_page()
    page.goto(f"{base}/invites/accept/?token={tokens['social']}")
    page.goto(f"{base}/accounts/dummy/login/")
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/dummy/authenticate/**")
    page.fill("input[name=id]", "4242")
    page.fill("input[name=email]", "b-social@example.com")
    page.check("input[name=email_verified]")
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/welcome/")
    step("4 social sign-up with the invited email accepted it")
    browser.close()
"""


def make_project(python: Path, directory: Path, port: int) -> Path:
    """A new project: email-only users, the README's and docs/allauth.md's settings."""
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
        "import os\n"
        + settings_file.read_text()
        + "\n# --- from README.md, 'Installing the app in your project' ---\n"
        + settings_part
        + "\n# --- from docs/allauth.md, 'Settings' ---\n"
        + docs_settings_snippet()
        + PROJECT_SETTINGS
    )
    urls = URLS.replace("{include_line}", include_line)
    (directory / "site_project" / "urls.py").write_text(textwrap.dedent(urls))
    (directory / "smoke_allauth.py").write_text(SMOKE.format(password=PASSWORD))
    (directory / "browser.py").write_text(BROWSER)
    return directory


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit(f"no free port in {PORTS}")


def shell(python: Path, project: Path, code: str) -> str:
    return run(python, "manage.py", "shell", "-c", code, cwd=project)


def browser_run(python: Path, project: Path, port: int) -> None:
    """Flows 1-4 once more in headless Chromium, against runserver."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("INVITES_REQUIRE_BROWSER") == "1":
            raise SystemExit(f"INVITES_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        log(f"{CHROMIUM} missing: the browser run is skipped")
        return
    output = shell(python, project, BROWSER_SETUP.format(password=PASSWORD))
    # The last line: `shell` may print a note of its own before it.
    tokens = output.strip().splitlines()[-1]
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SITE_URL": base}
    server = subprocess.Popen(  # noqa: S603 (the project's own manage.py)
        [str(python), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("runserver did not start")
            time.sleep(0.2)
        log(f"browser run against {base}")
        result = subprocess.run(  # noqa: S603
            [str(python), "browser.py", base, CHROMIUM, PASSWORD],
            cwd=project,
            input=tokens,
            capture_output=True,
            text=True,
            timeout=300,
        )
        print(result.stdout, end="")
        if result.returncode != 0:
            print(result.stderr[-6000:], file=sys.stderr)
            raise SystemExit("FAILED: the browser run")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(shell(python, project, BROWSER_VERIFY).strip())


def run_allauth(python: Path, wheel: Path, django: str, workdir: Path) -> None:
    """Install the allauth set into the venv of `python`, make the project, run it all."""
    run(
        python,
        "-m",
        "pip",
        "install",
        "-q",
        f"{wheel}[db,allauth]",
        f"Django~={django}.0",
        "-r",
        ROOT / "requirements-allauth.txt",
        "playwright==1.65.2",
    )
    versions = run(
        python,
        "-c",
        "import sys, django, allauth; "
        "print(sys.version.split()[0], django.get_version(), allauth.__version__)",
    )
    log(f"Python, Django and django-allauth in the venv: {versions.strip()}")
    port = free_port()
    project = make_project(python, workdir / "allauth_project", port)
    log("migrate, check")
    run(python, "manage.py", "makemigrations", "accounts", "-v", "0", cwd=project)
    run(python, "manage.py", "migrate", "--noinput", "-v", "0", cwd=project)
    print(run(python, "manage.py", "check", cwd=project).strip())
    run(python, "manage.py", "makemigrations", "--check", "--dry-run", cwd=project)
    log("allauth flows with the test Client")
    result = subprocess.run(  # noqa: S603
        [str(python), "smoke_allauth.py"], cwd=project, capture_output=True, text=True
    )
    print(result.stdout, end="")
    if result.returncode != 0:
        print(result.stderr[-6000:], file=sys.stderr)
        raise SystemExit("FAILED: the allauth smoke run")
    browser_run(python, project, port)
    log("allauth project passed")
