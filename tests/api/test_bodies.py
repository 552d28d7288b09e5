"""Request bodies of any shape and content type: a 4xx, never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import ACCEPT, LIST, REFRESH, detail, resend

pytestmark = pytest.mark.django_db


RAW_BODIES: list[tuple[bytes, str]] = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"{'single': 'quotes'}", "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b'{"invite_ids": ["\xc3\x28"]}', "application/json"),
    (
        b'{"email": "\\ud800@example.com", "invite_ids": ["\\udc00"], "token": "\\ud800"}',
        "application/json",
    ),
    (b'{"metadata": {"\\ud800": 1}, "email": "a@example.com"}', "application/json"),
    (
        b'{"metadata": {"n": 1e400}, "email": "a@example.com", "invite_ids": [1e400]}',
        "application/json",
    ),
    (b'{"x": NaN}', "application/json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
    (b'{"invite_ids": ["' + b"x" * 2_000_000 + b'"]}', "application/json"),
    (b'{"email": "' + b"a" * 1_000_000 + b'@example.com"}', "application/json"),
    (b"1" * 5000, "application/json"),
    (b"null", "application/json"),
    (b"invite_ids=abc", "application/x-www-form-urlencoded"),
    (
        b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--',
        "multipart/form-data; boundary=x",
    ),
    (b"plain text", "text/plain"),
    (b"<xml/>", "application/xml"),
    (b'{"email": "a@example.com"}', "application/json; charset=latin-9-nope"),
]


@pytest.mark.parametrize("url", [LIST, REFRESH, ACCEPT, "resend"])
@pytest.mark.parametrize(("raw", "content_type"), RAW_BODIES)
def test_no_body_of_any_shape_is_a_500(api_admin, pending_invite, url, raw, content_type):
    if url == "resend":
        url = resend(pending_invite)
    response = api_admin.generic("POST", url, raw, content_type=content_type)
    assert 200 <= response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert isinstance(response.json(), dict)


def test_unsupported_content_type_is_415(api_admin):
    response = api_admin.post(REFRESH, data="invite_ids=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_malformed_json_is_400_with_a_code(api_admin):
    response = api_admin.generic("POST", REFRESH, b"{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unsupported_methods_are_405(api_admin, pending_invite):
    assert api_admin.put(detail(pending_invite), {}, format="json").status_code == 405
    assert api_admin.patch(detail(pending_invite), {}, format="json").status_code == 405
    assert api_admin.delete(LIST).status_code == 405
    assert api_admin.get(resend(pending_invite)).status_code == 405
    assert APIClient().get(ACCEPT).status_code == 405
