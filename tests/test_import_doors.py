"""The three doors to many invites (the bulk API, the admin's import page, the
`import_invites` command) create the same invites from the same input and refuse the
same rows for the same reasons."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from rest_framework.test import APIClient

from invites import imports
from invites.models import Invite
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()
IMPORT = "/admin/invites/invite/import/"

GOOD = "email;team\nAda@Example.COM;research\n\ngrace@example.com;\n"
BAD = "email,team\nok@example.com,a\nnope,b\nOK@example.com,c\ntaken@example.com,d\nuser@x.com,e\n"


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en-us"):
        yield


@pytest.fixture
def api(admin_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def by_api(api: APIClient, text: str) -> tuple[int, list[tuple[str, str, str]]]:
    """The API gets the file's rows as entries, as a client script would send them."""
    entries = [row.entry() for row in imports.read_csv(io.BytesIO(text.encode()))]
    for entry in entries:
        if entry["metadata"] is None:
            del entry["metadata"]
    response = api.post(
        "/api/invites/bulk/", json.dumps({"invites": entries}), content_type="application/json"
    )
    rows = response.json().get("rows", []) if response.status_code == 400 else []
    return response.status_code, [(r["email"], r["code"], r["detail"]) for r in rows]


def by_admin(client, text: str) -> tuple[bool, list[tuple[str, str, str]]]:
    page = client.post(IMPORT, {"file": SimpleUploadedFile("t.csv", text.encode())})
    html = page.content.decode()
    rows = re.findall(
        r'<tr class="import-(\w+)"><td>\d+</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>',
        html,
    )
    payload = re.search(r'name="payload" value="([^"]+)"', html)
    if payload:
        client.post(IMPORT, {"payload": payload.group(1), "_confirm": "1"})
    return bool(payload), [(email, code, _unescape(message)) for code, email, message in rows]


def by_command(tmp_path, text: str) -> tuple[bool, list[tuple[str, str, str]]]:
    path = tmp_path / "t.csv"
    path.write_text(text)
    err = io.StringIO()
    try:
        call_command("import_invites", str(path), stdout=io.StringIO(), stderr=err)
    except CommandError:
        created = False
    else:
        created = True
    rows = [line.split(": ", 3) for line in err.getvalue().splitlines()]
    return created, [(email, code, message) for _line, email, code, message in rows]


def _unescape(text: str) -> str:
    return text.replace("&ldquo;", "“").replace("&rdquo;", "”").replace("&#x27;", "'")


def stored() -> list[tuple[str, object]]:
    return sorted(Invite.objects.values_list("email", "metadata"))


def test_the_same_file_creates_the_same_invites(api, admin_client, tmp_path):
    results = []
    for door in (
        lambda: by_api(api, GOOD),
        lambda: by_admin(admin_client, GOOD),
        lambda: by_command(tmp_path, GOOD),
    ):
        door()
        results.append(stored())
        Invite.all_objects.all().delete()
    assert results[0] == [
        ("Ada@example.com", {"team": "research"}),
        ("grace@example.com", None),
    ]
    assert results[0] == results[1] == results[2]


def test_the_same_bad_rows_are_refused_for_the_same_reasons(
    api, admin_client, tmp_path, make_invite
):
    make_invite("taken@example.com")
    User.objects.create_user(username="u", email="user@x.com", password=PASSWORD)

    status, from_api = by_api(api, BAD)
    confirmable, from_admin = by_admin(admin_client, BAD)
    created, from_command = by_command(tmp_path, BAD)

    assert (status, confirmable, created) == (400, False, False)
    assert from_api == [
        ("nope", "invalid", "“nope” is not a valid email address."),
        ("OK@example.com", "duplicate", "This email appears earlier in the same import."),
        ("taken@example.com", "invite_exists", "An invite already exists for this email."),
        ("user@x.com", "user_exists", "A user already exists with this email."),
    ]
    assert from_admin == from_api
    assert from_command == from_api
    assert stored() == [("taken@example.com", None)]
