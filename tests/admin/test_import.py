"""The admin's "Import invites" page: upload or paste, preview, confirm."""

from __future__ import annotations

import re
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from invites import services
from invites.models import Invite
from tests.admin.helpers import CHANGELIST, messages_of
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
IMPORT = "/admin/invites/invite/import/"
User = get_user_model()


def upload(client, data: bytes, name: str = "team.csv", **fields):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data), **fields})


def confirm(client, response, **override):
    payload = re.search(r'name="payload" value="([^"]+)"', response.content.decode())
    assert payload, "no confirm form on the page"
    return client.post(IMPORT, {"payload": payload.group(1), "_confirm": "1", **override})


def test_the_list_links_to_the_page_for_those_who_may_add(staff_client):
    response = staff_client("view_invite", "add_invite").get(CHANGELIST)
    assert f'<a href="{IMPORT}" class="addlink">Import invites</a>' in response.content.decode()


def test_no_link_for_those_who_may_not_add(staff_client):
    response = staff_client("view_invite").get(CHANGELIST)
    assert IMPORT not in response.content.decode()


def test_the_page_needs_add_permission(staff_client):
    client = staff_client("view_invite", "change_invite")
    assert client.get(IMPORT).status_code == 403
    assert upload(client, b"email\na@example.com\n").status_code == 403
    assert not Invite.objects.exists()


def test_preview_then_confirm_creates_and_reports(admin_client, admin_user, make_invite):
    make_invite("taken@example.com")
    data = b"email;team\nada@example.com;research\ntaken@example.com;x\n\ngrace@example.com;\n"

    preview = upload(admin_client, data, skip_existing="on")
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "4 rows read." not in page and "3 rows read." in page
    assert "2 invites to create." in page and "1 row to skip." in page
    assert "<td>3</td><td>taken@example.com</td><td>invite exists</td>" in page
    assert Invite.objects.count() == 1  # a preview writes nothing

    done = confirm(admin_client, preview)
    assert done.status_code == 302 and done["Location"] == CHANGELIST
    messages = messages_of(admin_client.get(CHANGELIST))
    assert "2 invites were created." in messages
    skipped = "1 address was skipped: it already has an invite, a user or what the invite grants."
    assert skipped in messages
    ada = Invite.objects.get(email="ada@example.com")
    assert ada.metadata == {"team": "research"}
    assert ada.invited_by == admin_user
    assert Invite.objects.get(email="grace@example.com").metadata is None


def test_pasted_addresses(admin_client):
    preview = admin_client.post(IMPORT, {"text": "ada@example.com\r\ngrace@example.com\r\n"})
    assert "2 invites to create." in preview.content.decode()
    confirm(admin_client, preview)
    assert set(Invite.objects.values_list("email", flat=True)) == {
        "ada@example.com",
        "grace@example.com",
    }


def test_bad_rows_are_listed_by_line_and_cannot_be_confirmed(admin_client, make_invite):
    make_invite("taken@example.com")
    User.objects.create_user(username="u", email="user@example.com", password=PASSWORD)
    data = b"email\nok@example.com\nnope\nOK@example.com\ntaken@example.com\nuser@example.com\n"
    page = upload(admin_client, data).content.decode()
    for line, email, label in [
        (3, "nope", "invalid"),
        (4, "OK@example.com", "duplicate"),
        (5, "taken@example.com", "invite exists"),
        (6, "user@example.com", "user exists"),
    ]:
        assert f"<td>{line}</td><td>{email}</td><td>{label}</td>" in page
    assert "4 rows cannot be imported." in page
    assert 'name="payload"' not in page
    assert Invite.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "This is not a CSV file."),
        ("email\nbé@example.com\n".encode("latin-1"), "Line 2 is not UTF-8 text."),
        (b"name\nAda\n", "one of them “email”"),
        (b"email\n" + b"a@example.com\n" * 11, "An import holds at most 10 addresses"),
        (b"email\n" + b"a" * 2000, "An import is at most 1000"),
    ],
)
def test_files_that_cannot_be_imported_are_explained(admin_client, settings, data, message):
    settings.INVITES = {"IMPORT_MAX_ROWS": 10, "IMPORT_MAX_BYTES": 1000}
    response = upload(admin_client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Invite.objects.exists()


def test_a_file_over_the_size_limit_is_refused_unread(admin_client, settings, monkeypatch):
    settings.INVITES = {"IMPORT_MAX_BYTES": 1000}
    monkeypatch.setattr("invites.imports.read_csv", lambda *a, **k: pytest.fail("was read"))
    response = upload(admin_client, b"email\n" + b"a@example.com\n" * 1000)
    assert "An import is at most 1000\xa0bytes; split the file." in response.content.decode()


def test_too_much_pasted_text_is_explained(admin_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_client.post(IMPORT, {"text": "a@example.com\n" * 200}, follow=True)
    assert "The pasted text is too long for one request" in str(messages_of(response))


def test_file_and_text_together_or_neither(admin_client):
    both = upload(admin_client, b"email\na@example.com\n", text="b@example.com")
    assert "Upload a file or paste addresses, not both." in both.content.decode()
    neither = admin_client.post(IMPORT, {})
    assert "Upload a CSV file or paste addresses." in neither.content.decode()


def test_a_tampered_or_foreign_payload_creates_nothing(admin_client, admin_user):
    forged = signing.dumps({"text": "x@example.com", "csv": False, "skip": False}, salt="other")
    response = admin_client.post(IMPORT, {"payload": forged, "_confirm": "1"}, follow=True)
    assert "This preview has expired or cannot be used." in str(messages_of(response))
    assert not Invite.objects.exists()


def test_confirm_judges_again(admin_client):
    preview = admin_client.post(IMPORT, {"text": "ada@example.com\ngrace@example.com"})
    services.create_invites(["ada@example.com"])  # someone else, after the preview
    response = confirm(admin_client, preview)
    page = response.content.decode()
    assert "Something changed since the preview: nothing was created." in str(messages_of(response))
    assert "<td>1</td><td>ada@example.com</td><td>invite exists</td>" in page
    assert not Invite.objects.filter(email="grace@example.com").exists()


def test_an_input_too_large_to_confirm_from_the_page_says_so(admin_client, settings):
    # Files do not count against DATA_UPLOAD_MAX_MEMORY_SIZE; the signed input posted
    # back by the confirm button would.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5000
    data = "email\n" + "".join(f"{secrets.token_hex(16)}@example.com\n" for _ in range(500))
    page = upload(admin_client, data.encode()).content.decode()
    assert "500 invites to create." in page
    assert 'name="payload"' not in page
    assert "too large to confirm from this page" in page


def test_a_fifty_megabyte_upload_is_refused_without_reading_it(admin_client, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as stream:
        stream.write(b"email\n")
        stream.write(b"someone@example.com\n" * (50 * 1024 * 1024 // 20))
    with path.open("rb") as stream:
        response = admin_client.post(IMPORT, {"file": stream})
    assert response.status_code == 200
    assert "An import is at most 10.0\xa0MB; split the file." in response.content.decode()
    assert not Invite.objects.exists()
