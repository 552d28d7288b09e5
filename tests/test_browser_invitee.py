"""The invitee's journeys in headless Chromium, in English and German.

A new person accepts a team invite and lands signed in; a person with an account signs
in from the invite, comes back and joins; an invitee declines after a confirmation;
someone signed in as another account is told so and signs out. The browser and its
failure screenshots come from `tests/test_browser.py`; the pages end on the demo
project's sign-in and profile pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore

from invites import services
from invites.adapter import get_adapter
from invites.models import Invite
from tests.helpers import PASSWORD
from tests.teams.models import Team
from tests.test_browser import ARTIFACTS, TIMEOUT_MS, browser  # noqa: F401 - a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("inviteproject.urls")]
User = get_user_model()

# What each journey reads on the pages, per language of the browser.
TEXT = {
    "en": {
        "invited": "Ada Lovelace invited you to join Marketing as member on Example.",
        "has_account": "You already have an account with bob@example.com.",
        "signed_in_as": "You are signed in as bob@example.com.",
        "other_account": "This invite is for another account",
        "wrong_account": "You are signed in as carol@example.com, but this invite was sent to "
        "bob@example.com. Nothing has been accepted.",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "join": "Join",
        "create": "Create my account",
        "decline": "Decline",
        "confirm": "Decline this invitation?",
        "decline_button": "Decline invitation",
        "declined": "You declined the invitation",
    },
    "de": {
        "invited": "Ada Lovelace hat Sie eingeladen, Marketing auf Example als member beizutreten.",
        "has_account": "Sie haben bereits ein Konto mit bob@example.com.",
        "signed_in_as": "Sie sind als bob@example.com angemeldet.",
        "other_account": "Diese Einladung gilt für ein anderes Konto",
        "wrong_account": "Sie sind als carol@example.com angemeldet, aber diese Einladung wurde an "
        "bob@example.com gesendet. Es wurde nichts angenommen.",
        "sign_in": "Anmelden",
        "sign_out": "Abmelden",
        "join": "Beitreten",
        "create": "Mein Konto erstellen",
        "decline": "Ablehnen",
        "confirm": "Diese Einladung ablehnen?",
        "decline_button": "Einladung ablehnen",
        "declined": "Sie haben die Einladung abgelehnt",
    },
}
LOCALES = {"en": "en-US", "de": "de-DE"}


@pytest.fixture(params=sorted(TEXT))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(
    browser: Any,  # noqa: F811 - the fixture imported above
    live_server: Any,
    language: str,
    request: pytest.FixtureRequest,
) -> Iterator[Any]:
    """A fresh browser context asking for `language`; on failure, a screenshot."""
    context = browser.new_context(viewport={"width": 420, "height": 860}, locale=LOCALES[language])
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    if getattr(getattr(request.node, "rep_call", None), "failed", False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        for number, open_page in enumerate(context.pages, start=1):
            open_page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
    context.close()


@pytest.fixture
def base(settings: Any, live_server: Any) -> str:
    """Links point at the live server; the teams example's adapter; the site is "Example"."""
    settings.SITE_URL = live_server.url
    settings.INVITES = {"ADAPTER": "tests.teams.adapter.TeamInviteAdapter", "SITE_NAME": "Example"}
    return str(live_server.url)


@pytest.fixture
def marketing(db: None) -> Any:
    """The team Marketing, owned by Ada Lovelace (who may invite into it)."""
    team = Team.objects.create(name="Marketing")
    ada = User.objects.create_user(
        "ada", "ada@example.com", PASSWORD, first_name="Ada", last_name="Lovelace"
    )
    team.memberships.create(user=ada, role="owner")
    return team


def invite_link(email: str, team: Any) -> tuple[Invite, str]:
    [invite] = services.create_invites(
        [email], invited_by=team.memberships.get().user, target=team, role="member"
    )
    return invite, get_adapter().get_accept_url(invite.token)


def record_requests(page: Any) -> list[Any]:
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    return requests


def assert_token_went_out_once(invite: Invite, link: str, requests: list[Any], page: Any) -> None:
    """Only the emailed link itself carried the token: no later URL, Referer or cookie."""
    assert [r.url for r in requests if invite.token in r.url] == [link]
    assert not any(invite.token in (r.headers.get("referer") or "") for r in requests)
    assert not any(invite.token in cookie["value"] for cookie in page.context.cookies())


def signed_in_user_pk(page: Any) -> str | None:
    """Whose session the browser holds now; None for nobody."""
    sessions = [c["value"] for c in page.context.cookies() if c["name"] == "sessionid"]
    return SessionStore(session_key=sessions[0]).get(SESSION_KEY) if sessions else None


def main_text(page: Any) -> str:
    return " ".join(page.inner_text("main").split())


def test_new_person_accepts_a_team_invite_and_lands_signed_in(page, base, marketing, language):
    text = TEXT[language]
    invite, link = invite_link("grace@example.com", marketing)
    requests = record_requests(page)

    page.goto(link)

    assert page.url == f"{base}/invites/accept/"  # the token left the address bar
    assert text["invited"] in main_text(page)
    assert page.locator("html").get_attribute("lang") == language
    page.locator("input[name=first_name]").fill("Grace")
    page.locator("input[name=last_name]").fill("Hopper")
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.get_by_role("button", name=text["create"]).click()

    page.wait_for_url(f"{base}/accounts/profile/")  # the project's LOGIN_REDIRECT_URL
    grace = User.objects.get(email="grace@example.com")
    assert "grace@example.com" in main_text(page)
    assert signed_in_user_pk(page) == str(grace.pk)
    assert marketing.memberships.get(user=grace).role == "member"
    assert Invite.objects.get(pk=invite.pk).accepted_by == grace
    assert_token_went_out_once(invite, link, requests, page)


def test_existing_user_signs_in_from_the_invite_comes_back_and_joins(
    page, base, marketing, language
):
    text = TEXT[language]
    bob = User.objects.create_user("bob", "bob@example.com", PASSWORD)
    invite, link = invite_link("bob@example.com", marketing)
    requests = record_requests(page)

    page.goto(link)
    assert text["invited"] in main_text(page)
    assert text["has_account"] in main_text(page)
    assert page.locator("input[name=password1]").count() == 0  # no account to create
    page.get_by_role("link", name=text["sign_in"], exact=True).click()

    page.wait_for_url(f"{base}/accounts/login/?next=%2Finvites%2Faccept%2F")
    page.locator("input[name=username]").fill("bob")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()

    page.wait_for_url(f"{base}/invites/accept/")  # back at the invite, remembered
    assert text["signed_in_as"] in main_text(page)
    assert Invite.objects.get(pk=invite.pk).status == "pending"
    page.get_by_role("button", name=text["join"], exact=True).click()

    page.wait_for_url(f"{base}/accounts/profile/")
    assert marketing.memberships.get(user=bob).role == "member"
    assert Invite.objects.get(pk=invite.pk).accepted_by == bob
    assert User.objects.count() == 2  # Ada and Bob: no second account
    assert_token_went_out_once(invite, link, requests, page)


def test_invitee_declines_after_a_confirmation(page, base, marketing, language):
    text = TEXT[language]
    invite, link = invite_link("grace@example.com", marketing)

    page.goto(link)
    page.get_by_role("link", name=text["decline"], exact=True).click()

    page.wait_for_url(f"{base}/invites/accept/decline/")
    page.get_by_role("heading", name=text["confirm"]).wait_for()
    assert text["invited"] in main_text(page)
    assert Invite.objects.get(pk=invite.pk).status == "pending"  # asking changes nothing
    page.get_by_role("button", name=text["decline_button"]).click()

    page.wait_for_url(f"{base}/invites/accept/declined/")
    page.get_by_role("heading", name=text["declined"]).wait_for()
    assert Invite.objects.get(pk=invite.pk).status == "declined"
    assert not User.objects.filter(email="grace@example.com").exists()


def test_signed_in_as_someone_else_is_told_so_and_signs_out(page, base, marketing, language):
    text = TEXT[language]
    User.objects.create_user("bob", "bob@example.com", PASSWORD)
    User.objects.create_user("carol", "carol@example.com", PASSWORD)
    invite, link = invite_link("bob@example.com", marketing)
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=username]").fill("carol")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/accounts/profile/")

    page.goto(link)

    page.get_by_role("heading", name=text["other_account"]).wait_for()
    assert text["wrong_account"] in main_text(page)
    assert page.get_by_role("button", name=text["join"], exact=True).count() == 0
    page.get_by_role("button", name=text["sign_out"]).click()

    page.wait_for_url(f"{base}/invites/accept/")
    assert text["has_account"] in main_text(page)  # the invite is still remembered
    assert signed_in_user_pk(page) is None
    assert Invite.objects.get(pk=invite.pk).status == "pending"
    assert not marketing.memberships.filter(user__username__in=["bob", "carol"]).exists()
