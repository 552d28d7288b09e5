"""End to end in headless Chromium: the admin's refresh action and an invitee's accept.

Playwright drives Debian's `/usr/bin/chromium` (never a downloaded browser; another
binary through `INVITES_CHROMIUM`) against
pytest-django's `live_server`. Without Chromium these tests skip, unless
`INVITES_REQUIRE_BROWSER=1` (set by CI) makes that a failure. When a test fails, a
screenshot of every open page goes to `test-artifacts/`.

`INVITES_SCREENSHOTS=1` also runs `test_readme_screenshots`, which rewrites the
pictures in `docs/`.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from invites import services
from invites.adapter import get_adapter
from invites.models import Invite
from tests.helpers import PASSWORD, expire
from tests.teams.models import Membership

# Debian's package; another path (e.g. on a laptop) through INVITES_CHROMIUM.
CHROMIUM = os.environ.get("INVITES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs"
TIMEOUT_MS = 20_000
# The admin's action button: "Go" up to Django 5.2, "Run" from Django 6.0.
ACTION_BUTTON = re.compile(r"^(Go|Run)$")

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()


def missing_browser_reason() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, or a skip (a failure in CI) without one."""
    reason = missing_browser_reason()
    if reason:
        if os.environ.get("INVITES_REQUIRE_BROWSER") == "1":
            pytest.fail(f"INVITES_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django would
    # then refuse the ORM calls these tests make between browser steps.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; on failure, a screenshot of each of its pages."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        for number, open_page in enumerate(context.pages, start=1):
            open_page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
            (ARTIFACTS / f"{name}-{number}.html").write_text(open_page.content())
    context.close()


@pytest.fixture
def site_url(settings: Any, live_server: Any) -> str:
    """Accept links point at the live server, as `SITE_URL` makes them in production."""
    settings.SITE_URL = live_server.url
    return str(live_server.url)


def admin_login(page: Any, base: str) -> None:
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    page.goto(f"{base}/admin/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")


@contextmanager
def invitee_page(page: Any) -> Iterator[Any]:
    """A page in a browser of its own, as the invitee who got the admin's link has."""
    context = page.context.browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def invite_row(page: Any, email: str) -> Any:
    return page.locator("#result_list tbody tr", has_text=email)


# --- the admin ------------------------------------------------------------------------


def test_admin_refreshes_selected_invites(page, site_url, make_invite):
    pending = make_invite("pending@example.com")
    expired = make_invite("expired@example.com")
    expire(expired)
    accepted = make_invite("accepted@example.com")
    services.accept_invite(accepted.token, password=PASSWORD)
    accepted_expiry = Invite.objects.get(pk=accepted.pk).expires_at

    admin_login(page, site_url)
    page.locator("tr.model-invite").get_by_role("link", name="Invites").click()
    page.wait_for_url(f"{site_url}/admin/invites/invite/")
    expired_row = invite_row(page, "expired@example.com")
    assert expired_row.locator("td.field-status").inner_text() == "Expired"
    old_expiry_text = expired_row.locator("td.field-expires_at").inner_text()

    for email in ("pending@example.com", "expired@example.com", "accepted@example.com"):
        invite_row(page, email).locator("input.action-select").check()
    page.locator("select[name=action]").select_option("refresh_tokens")
    page.get_by_role("button", name=ACTION_BUTTON).click()

    messages = page.locator("ul.messagelist")
    messages.get_by_text("2 invites were given a new token and resent.").wait_for()
    assert "1 invite was skipped because it has been accepted already." in messages.inner_text()
    expired_row = invite_row(page, "expired@example.com")
    assert expired_row.locator("td.field-status").inner_text() == "Pending"
    assert expired_row.locator("td.field-expires_at").inner_text() != old_expiry_text

    now = timezone.now()
    for invite in (pending, expired):
        stored = Invite.objects.get(pk=invite.pk)
        assert now + timedelta(hours=23) < stored.expires_at <= now + timedelta(days=1)
        assert stored.status == "pending"
    assert Invite.objects.get(pk=accepted.pk).expires_at == accepted_expiry


def accept_link_in(messages: Any) -> str:
    """The accept link an admin message shows (once)."""
    [link] = re.findall(r"\S+/invites/accept/\?token=[\w-]+", messages.inner_text())
    return str(link)


def test_admin_list_columns_and_the_sent_filter(page, site_url, make_invite):
    unsent = make_invite("waiting@example.com")
    sent = make_invite("delivered@example.com")
    # Whether the email went out depends on the task backend; set both states here.
    Invite.objects.filter(pk=unsent.pk).update(sent_at=None)
    Invite.objects.filter(pk=sent.pk).update(sent_at=timezone.now())

    admin_login(page, site_url)
    page.goto(f"{site_url}/admin/invites/invite/")
    headers = page.locator("#result_list thead th").all_text_contents()  # CSS upper-cases
    assert [h.strip() for h in headers[1:]] == [
        "Email",
        "Status",
        "Target",
        "Role",
        "Expires at",
        "Created at",
        "Invited by",
        "Accepted by",
        "Accepted at",
        "Sent at",
        "Delivery",
    ]

    page.locator("#changelist-filter").get_by_role("link", name="Not sent yet").click()
    page.wait_for_url(re.compile(r"\?sent=no$"))
    assert invite_row(page, "waiting@example.com").count() == 1
    assert invite_row(page, "delivered@example.com").count() == 0


def test_admin_adds_an_invite_and_sees_its_link_once(page, site_url):
    admin_login(page, site_url)
    page.goto(f"{site_url}/admin/invites/invite/add/")
    metadata = page.get_by_label("Metadata")
    assert metadata.input_value() == ""  # an empty box, not the text "null"
    page.get_by_label("Email").fill("katherine@example.com")
    metadata.fill('{"team": "orbits"}')
    page.get_by_role("button", name="Save", exact=True).click()

    page.wait_for_url(f"{site_url}/admin/invites/invite/")
    messages = page.locator("ul.messagelist")
    messages.get_by_text("was added successfully").wait_for()
    link = accept_link_in(messages)
    invite = Invite.objects.get(email="katherine@example.com")
    assert invite.metadata == {"team": "orbits"}
    assert invite.invited_by == User.objects.get(username="boss")
    assert invite_row(page, "katherine@example.com").locator(
        "td.field-invited_by"
    ).inner_text() == ("boss")
    page.reload()
    assert "token=" not in page.locator("body").inner_text()  # shown only once

    # The same email again: the service's refusal is on the form.
    page.goto(f"{site_url}/admin/invites/invite/add/")
    page.get_by_label("Email").fill("KATHERINE@example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("An invite already exists for: KATHERINE@example.com.").wait_for()
    assert Invite.objects.count() == 1

    with invitee_page(page) as invitee:  # signed in as the admin, it would say so
        invitee.goto(link)
        invitee.get_by_role("heading", name="Accept your invitation").wait_for()


def test_admin_adds_a_team_invite_through_the_add_form(page, site_url, team_adapter, team):
    admin_login(page, site_url)
    boss = User.objects.get(username="boss")
    Membership.objects.create(team=team, user=boss, role="owner")  # may invite into it
    page.goto(f"{site_url}/admin/invites/invite/add/")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Target type").select_option(label="Teams | team")
    page.get_by_label("Target id").fill(str(team.pk))
    page.get_by_label("Role").fill("boss")
    page.get_by_role("button", name="Save", exact=True).click()

    # A role the adapter does not list is refused on the form, what was typed kept.
    page.locator(".field-role .errorlist").get_by_text("is not a role here").wait_for()
    assert page.get_by_label("Target id").input_value() == str(team.pk)
    assert not Invite.objects.exists()
    page.get_by_label("Role").fill("admin")
    page.get_by_role("button", name="Save", exact=True).click()

    page.wait_for_url(f"{site_url}/admin/invites/invite/")
    page.locator("ul.messagelist").get_by_text("was added successfully").wait_for()
    row = invite_row(page, "grace@example.com")
    assert row.locator("td.field-target").inner_text() == "Team: Marketing"
    assert row.locator("td.field-role").inner_text() == "admin"
    invite = Invite.objects.get(email="grace@example.com")
    assert (invite.target, invite.role, invite.invited_by) == (team, "admin", boss)

    page.locator("#changelist-filter").get_by_role("link", name="Team", exact=True).click()
    page.wait_for_url(re.compile(r"\?target_type=teams\.team$"))
    assert invite_row(page, "grace@example.com").count() == 1


def test_admin_resends_an_expired_invite_from_its_page(page, site_url, make_invite):
    invite = make_invite("late@example.com")
    expire(invite)
    old_link = get_adapter().get_accept_url(invite.token)

    admin_login(page, site_url)
    page.goto(f"{site_url}/admin/invites/invite/{invite.pk}/change/")
    assert "digest" not in page.locator("main").inner_text().lower()
    page.get_by_role("button", name="Resend").click()

    messages = page.locator("ul.messagelist")
    messages.get_by_text(
        "The invite to late@example.com was given a new token and resent."
    ).wait_for()
    link = accept_link_in(messages)
    assert link != old_link
    assert Invite.objects.get(pk=invite.pk).status == "pending"
    with invitee_page(page) as invitee:
        invitee.goto(link)
        invitee.get_by_role("heading", name="Accept your invitation").wait_for()
        invitee.goto(old_link)
        invitee.get_by_role("heading", name="This invite link is not valid").wait_for()


def test_no_resend_button_on_an_accepted_invite(page, site_url, make_invite):
    invite = make_invite("done@example.com")
    services.accept_invite(invite.token, password=PASSWORD)

    admin_login(page, site_url)
    page.goto(f"{site_url}/admin/invites/invite/{invite.pk}/change/")
    page.get_by_role("button", name="Save", exact=True).wait_for()
    assert page.get_by_role("button", name="Resend").count() == 0


def test_admin_action_with_a_tampered_selection_changes_nothing(page, site_url, make_invite):
    invite = make_invite("kept@example.com")
    before = Invite.objects.get(pk=invite.pk).token_hash

    admin_login(page, site_url)
    page.goto(f"{site_url}/admin/invites/invite/")
    checkbox = invite_row(page, "kept@example.com").locator("input.action-select")
    checkbox.check()
    checkbox.evaluate("box => { box.value = 'not-a-uuid'; }")
    page.locator("select[name=action]").select_option("refresh_tokens")
    page.get_by_role("button", name=ACTION_BUTTON).click()

    page.locator("ul.messagelist").get_by_text(
        "The selection holds an id that is not an invite's. Reload the list."
    ).wait_for()
    assert Invite.objects.get(pk=invite.pk).token_hash == before


# --- the invitee ----------------------------------------------------------------------


# The whole journey ends on the demo project's sign-in and profile pages.
@pytest.mark.urls("inviteproject.urls")
def test_invitee_accepts_and_signs_in(page, site_url, settings, make_invite):
    # Signed in on accept, the invitee would skip the success page (tests/test_browser_invitee).
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    invite = make_invite("ada@example.com")
    link = get_adapter().get_accept_url(invite.token)
    assert link.startswith(f"{site_url}/invites/accept/?token=")
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))

    page.goto(link)

    assert page.url == f"{site_url}/invites/accept/"  # the token left the address bar
    page.get_by_role("heading", name="Accept your invitation").wait_for()
    assert page.get_by_label("Email").input_value() == "ada@example.com"
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()

    page.wait_for_url(f"{site_url}/invites/accept/done/")
    page.get_by_role("heading", name="Your account is ready").wait_for()
    assert Invite.objects.get(pk=invite.pk).status == "accepted"

    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url(f"{site_url}/accounts/login/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{site_url}/accounts/profile/")
    assert "Signed in as ada@example.com." in page.get_by_role("status").inner_text()
    user = User.objects.get(email="ada@example.com")
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")

    # The token went out only in the first request, never again and never in a Referer.
    assert [r.url for r in requests if invite.token in r.url] == [link]
    assert not any(invite.token in r.headers.get("referer", "") for r in requests)
    # Leaving the accept pages sends no Referer at all.
    [to_login] = [
        r for r in requests if r.url == f"{site_url}/accounts/login/" and r.method == "GET"
    ]
    assert "referer" not in to_login.headers


def test_invitee_with_an_expired_link_is_told_so(page, site_url, make_invite):
    invite = make_invite("late@example.com")
    expire(invite)

    page.goto(get_adapter().get_accept_url(invite.token))

    assert page.url == f"{site_url}/invites/accept/"
    page.get_by_role("heading", name="This invite has expired").wait_for()
    assert "send the invite again" in page.inner_text("main")
    assert not User.objects.exists()


def test_weak_password_is_explained_in_the_browser(page, site_url, make_invite):
    invite = make_invite("weak@example.com")
    page.goto(get_adapter().get_accept_url(invite.token))

    page.get_by_label("Password", exact=True).fill("12345678")
    page.get_by_label("Password (again)").fill("12345678")
    page.get_by_role("button", name="Create my account").click()

    page.get_by_text("This password is too common.").wait_for()
    assert page.url == f"{site_url}/invites/accept/"
    assert not User.objects.exists()


# --- pictures for the README (on demand) --------------------------------------------


@pytest.mark.skipif(
    os.environ.get("INVITES_SCREENSHOTS") != "1", reason="set INVITES_SCREENSHOTS=1 to redraw docs/"
)
def test_readme_screenshots(page, site_url, make_invite):
    DOCS.mkdir(exist_ok=True)
    for email in ("ada@example.com", "grace@example.com", "alan@example.com"):
        make_invite(email, metadata={"team": "research"})
    expire(make_invite("edsger@example.com"))
    accepted = make_invite("barbara@example.com")
    services.accept_invite(accepted.token, password=PASSWORD)
    expire(make_invite("donald@example.com"))

    page.set_viewport_size({"width": 1600, "height": 800})  # every column of the list
    admin_login(page, site_url)
    page.goto(f"{site_url}/admin/invites/invite/")
    page.locator("#toggle-nav-sidebar").click()  # the app list would squeeze the table
    for email in ("edsger@example.com", "donald@example.com", "barbara@example.com"):
        invite_row(page, email).locator("input.action-select").check()
    page.locator("select[name=action]").select_option("refresh_tokens")
    page.get_by_role("button", name=ACTION_BUTTON).click()
    page.locator("ul.messagelist").wait_for()
    page.screenshot(path=str(DOCS / "admin.png"))

    page.goto(f"{site_url}/admin/invites/invite/add/")
    page.get_by_label("Email").fill("katherine@example.com")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("ul.messagelist").wait_for()
    page.screenshot(path=str(DOCS / "admin-add.png"))

    stale = make_invite("grace.h@example.com", metadata={"team": "compilers"})
    expire(stale)
    page.goto(f"{site_url}/admin/invites/invite/{stale.pk}/change/")
    page.get_by_role("button", name="Resend").click()
    page.locator("ul.messagelist").wait_for()
    page.screenshot(path=str(DOCS / "admin-resend.png"), full_page=True)

    invitee = page.context.browser.new_context(
        viewport={"width": 420, "height": 860}, locale="en-US", device_scale_factor=1
    )
    phone = invitee.new_page()
    invite = make_invite("margaret@example.com")
    phone.goto(get_adapter().get_accept_url(invite.token))
    phone.get_by_label("First name").fill("Margaret")
    phone.get_by_label("Last name").fill("Hamilton")
    phone.screenshot(path=str(DOCS / "accept.png"), full_page=True)
    phone.get_by_label("Password", exact=True).fill("apollo")
    phone.get_by_label("Password (again)").fill("apollo")
    phone.get_by_role("button", name="Create my account").click()
    phone.get_by_text("This password is too short.").wait_for()
    phone.screenshot(path=str(DOCS / "accept-error.png"), full_page=True)
    phone.get_by_label("Password", exact=True).fill(PASSWORD)
    phone.get_by_label("Password (again)").fill(PASSWORD)
    phone.get_by_role("button", name="Create my account").click()
    phone.get_by_role("heading", name="Your account is ready").wait_for()
    phone.screenshot(path=str(DOCS / "accept-done.png"), full_page=True)

    late = make_invite("late@example.com")
    expire(late)
    phone.goto(get_adapter().get_accept_url(late.token))
    phone.get_by_role("heading", name="This invite has expired").wait_for()
    phone.screenshot(path=str(DOCS / "accept-expired.png"), full_page=True)
    invitee.close()
