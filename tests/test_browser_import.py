"""The admin's "Import invites" page in headless Chromium, with a file of 1,000 rows.

It uses the browser fixtures of `tests/test_browser.py` (same Chromium, same skip or
failure rules: with `INVITES_REQUIRE_BROWSER=1` it must run).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from invites import services
from invites.models import Invite
from tests.helpers import PASSWORD
from tests.test_browser import admin_login, browser, page, site_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)
User = get_user_model()
ROWS = 1000


def team_file(tmp_path, *, with_errors: bool) -> str:
    """1,000 rows with a name and team; with errors, some rows are invalid or doubled."""
    lines = ["email;name;team"]
    for i in range(ROWS):
        email = f"member{i}@example.com"
        if with_errors and i in (10, 500):
            email = f"member{i}.example.com"  # no @: invalid
        if with_errors and i == 700:
            email = "MEMBER3@example.com"  # the same as row 3: duplicate
        lines.append(f"{email};Member {i};team{i % 7}")
    path = tmp_path / ("team-with-errors.csv" if with_errors else "team.csv")
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode())
    return str(path)


def problem_rows(on: Any) -> list[list[str]]:
    rows = on.locator("#import-problems tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()[:3]]
        for i in range(rows.count())
    ]


def test_import_a_thousand_rows(page, site_url, tmp_path):  # noqa: F811 - fixtures
    # Two addresses exist already: one invited, one a user.
    services.create_invites(["member42@example.com"])
    User.objects.create_user(username="m", email="member43@example.com", password=PASSWORD)

    admin_login(page, site_url)
    page.goto(f"{site_url}/admin/invites/invite/")
    page.get_by_role("link", name="Import invites").click()
    page.wait_for_url(f"{site_url}/admin/invites/invite/import/")
    page.get_by_role("heading", name="Import invites").wait_for()

    # A file with bad rows: every one is named by its line, and nothing can be created.
    page.get_by_label("CSV file").set_input_files(team_file(tmp_path, with_errors=True))
    page.get_by_role("button", name="Preview").click()
    summary = page.locator("#import-summary")
    summary.wait_for()
    assert "1000 rows read." in summary.inner_text()
    assert "5 rows cannot be imported." in summary.inner_text()
    assert problem_rows(page) == [
        ["12", "member10.example.com", "invalid"],
        ["44", "member42@example.com", "invite exists"],
        ["45", "member43@example.com", "user exists"],
        ["502", "member500.example.com", "invalid"],
        ["702", "MEMBER3@example.com", "duplicate"],
    ]
    assert page.locator("#import-confirm").count() == 0
    assert Invite.objects.count() == 1

    # The corrected file, skipping the existing addresses: preview, then confirm.
    page.get_by_label("CSV file").set_input_files(team_file(tmp_path, with_errors=False))
    page.get_by_label("Skip addresses that already have an invite or a user").check()
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("998 invites to create.").wait_for()
    assert "2 rows to skip." in page.locator("#import-summary").inner_text()
    assert problem_rows(page) == [
        ["44", "member42@example.com", "invite exists"],
        ["45", "member43@example.com", "user exists"],
    ]
    first = page.locator("#import-sample tbody tr").first.locator("td").all_inner_texts()
    assert first == ["2", "member0@example.com", "name: Member 0, team: team0"]
    page.get_by_role("button", name="Create 998 invites").click()

    page.wait_for_url(f"{site_url}/admin/invites/invite/")
    messages = page.locator("ul.messagelist")
    messages.get_by_text("998 invites were created.").wait_for()
    assert (
        "2 addresses were skipped: they already have an invite, a user or what the invite grants."
        in (messages.inner_text())
    )
    assert Invite.objects.count() == 999
    invite = Invite.objects.get(email="member999@example.com")
    assert invite.metadata == {"name": "Member 999", "team": "team5"}
    assert invite.invited_by == User.objects.get(username="boss")
