"""URLs and helpers shared by the accept page tests."""

from __future__ import annotations

import re

from django.test import Client

from tests.helpers import PASSWORD

ACCEPT = "/invites/accept/"
DONE = "/invites/accept/done/"


def open_link(client: Client, token: str) -> None:
    """Follow the emailed link: the token goes into the cookie, the URL loses it."""
    response = client.get(ACCEPT, {"token": token})
    assert response.status_code == 302
    assert response["Location"] == ACCEPT


def shown_invite(client: Client, secure: bool = False) -> str:
    """The invite id the accept page's form carries now ("" when it shows no form)."""
    page = client.get(ACCEPT, secure=secure).content.decode()
    match = re.search(r'name="invite" value="([^"]+)"', page)
    return match.group(1) if match else ""


def submit(
    client: Client,
    password: str = PASSWORD,
    again: str | None = None,
    headers: dict[str, str] | None = None,
    secure: bool = False,
    **extra: str,
):
    """Post the new-account form as the page shows it (for the invite it shows)."""
    data = {"first_name": "Ada", "last_name": "Lovelace", "password1": password}
    data["password2"] = password if again is None else again
    if "invite" not in extra:
        data["invite"] = shown_invite(client, secure=secure)
    return client.post(ACCEPT, {**data, **extra}, headers=headers, secure=secure)


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def assert_page_headers(response, referrer_policy: str = "no-referrer") -> None:
    assert response["Referrer-Policy"] == referrer_policy
    assert "no-store" in response["Cache-Control"]


def assert_form_page_headers(response) -> None:
    # The form's page holds no token; `no-referrer` would make browsers send
    # `Origin: null` with the POST, which Django's CSRF check refuses.
    assert_page_headers(response, "same-origin")
