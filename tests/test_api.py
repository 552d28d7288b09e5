"""The REST API: every row and error rule of contract section 4, through `APIClient`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from invites import services
from invites.models import Invite
from invites.signals import invite_accepted, invite_created, invite_deleted, invite_resent
from invites.tokens import hash_token
from tests.helpers import PASSWORD, expire, snapshot

pytestmark = pytest.mark.django_db
User = get_user_model()

LIST = "/api/invites/"
REFRESH = "/api/invites/refresh/"
ACCEPT = "/api/invites/accept/"
INVITE_KEYS = {
    "id",
    "email",
    "accepted",
    "token",
    "expires_at",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
    "sent_at",
    "status",
}
SIGNALS = (invite_created, invite_resent, invite_accepted, invite_deleted)


def detail(invite: Invite | str) -> str:
    return f"/api/invites/{getattr(invite, 'pk', invite)}/"


def resend(invite: Invite | str) -> str:
    return f"/api/invites/{getattr(invite, 'pk', invite)}/resend/"


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clear_throttle() -> Iterator[None]:
    """The accept throttle counts in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    counter = iter(range(1, 1000))

    def make(*perms: str, **fields: Any) -> Any:
        user = User.objects.create_user(
            username=f"staff{next(counter)}", password=PASSWORD, **fields
        )
        codenames = [f"{perm}_invite" for perm in perms]
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        return User.objects.get(pk=user.pk)  # no stale permission cache

    return make


def client_for(user: Any) -> APIClient:
    """An `APIClient` sending the user's DRF token."""
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin_client(make_user: Callable[..., Any]) -> APIClient:
    return client_for(make_user("view", "add", "change", "delete"))


@pytest.fixture
def viewer_client(make_user: Callable[..., Any]) -> APIClient:
    return client_for(make_user("view"))


@pytest.fixture
def changer_client(make_user: Callable[..., Any]) -> APIClient:
    return client_for(make_user("change"))


@pytest.fixture
def nothing_changes(
    record: Callable[..., Any], django_capture_on_commit_callbacks: Any
) -> Callable[..., Any]:
    """`with nothing_changes(*invites):` proves a failed call wrote and sent nothing."""

    @contextmanager
    def check(*invites: Invite) -> Iterator[None]:
        recorders = [record(signal) for signal in SIGNALS]
        before = (snapshot(*invites), Invite.all_objects.count(), User.objects.count())
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            yield
        after = (snapshot(*invites), Invite.all_objects.count(), User.objects.count())
        assert after == before
        assert callbacks == []
        assert [r.calls for r in recorders] == [[] for _ in recorders]

    return check


def post_json(client: APIClient, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


# --- authentication and permissions ----------------------------------------------------


def endpoint_calls(invite: Invite) -> list[tuple[str, str, Any]]:
    """(method, url, body) of every protected endpoint, aimed at `invite`."""
    return [
        ("get", LIST, None),
        ("post", LIST, {"email": "new@example.com"}),
        ("get", detail(invite), None),
        ("delete", detail(invite), None),
        ("post", resend(invite), None),
        ("post", REFRESH, {"invite_ids": [str(invite.pk)]}),
    ]


def call(client: APIClient, method: str, url: str, body: Any) -> Any:
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_anonymous_gets_401_with_token_challenge_and_nothing_changes(
    pending_invite, nothing_changes
):
    client = APIClient()
    for method, url, body in endpoint_calls(pending_invite):
        with nothing_changes(pending_invite):
            response = call(client, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Token"
        assert response.json()["code"] == "not_authenticated"


def test_invalid_token_gets_401(pending_invite):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_user_without_permissions_gets_403_everywhere(make_user, pending_invite, nothing_changes):
    client = client_for(make_user())
    for method, url, body in endpoint_calls(pending_invite):
        with nothing_changes(pending_invite):
            response = call(client, method, url, body)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "permission_denied"


def test_view_permission_reads_but_cannot_write(viewer_client, pending_invite, nothing_changes):
    assert viewer_client.get(LIST).status_code == 200
    assert viewer_client.get(detail(pending_invite)).status_code == 200
    for method, url, body in endpoint_calls(pending_invite):
        if method == "get":
            continue
        with nothing_changes(pending_invite):
            response = call(viewer_client, method, url, body)
        assert response.status_code == 403, (method, url)


def test_change_permission_resends_and_refreshes(changer_client, pending_invite):
    assert changer_client.post(resend(pending_invite)).status_code == 200
    response = post_json(changer_client, REFRESH, {"invite_ids": [str(pending_invite.pk)]})
    assert response.status_code == 200
    # `change` alone does not read, create or delete.
    assert changer_client.get(LIST).status_code == 403
    assert post_json(changer_client, LIST, {"email": "x@example.com"}).status_code == 403
    assert changer_client.delete(detail(pending_invite)).status_code == 403


def test_each_write_needs_its_own_permission(make_user, make_invite):
    adder = client_for(make_user("add"))
    deleter = client_for(make_user("delete"))
    invite = make_invite()

    assert post_json(adder, LIST, {"email": "added@example.com"}).status_code == 201
    assert adder.post(resend(invite)).status_code == 403
    assert deleter.delete(detail(invite)).status_code == 204
    assert post_json(deleter, REFRESH, {"invite_ids": [str(invite.pk)]}).status_code == 403


def test_superuser_has_every_permission(pending_invite):
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = client_for(admin)
    assert client.get(LIST).status_code == 200
    assert client.post(resend(pending_invite)).status_code == 200


def test_session_authentication_works_and_enforces_csrf(make_user, pending_invite):
    user = make_user("view", "change")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get(LIST).status_code == 200
    response = client.post(resend(pending_invite))
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_accept_has_no_session_authentication_so_no_csrf_failure(make_user, pending_invite):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user())

    response = post_json(client, ACCEPT, {"token": pending_invite.token, "password": PASSWORD})

    assert response.status_code == 201


# --- list -------------------------------------------------------------------------------


def test_list_is_a_drf_page_of_invites_without_secrets(admin_client, make_invite):
    invites = [make_invite() for _ in range(3)]

    response = admin_client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert body["next"] is None and body["previous"] is None
    assert {row["id"] for row in body["results"]} == {str(i.pk) for i in invites}
    for row in body["results"]:
        assert set(row) == INVITE_KEYS
        assert row["token"] is None
        assert row["status"] == "pending"
    text = response.content.decode()
    for invite in invites:
        assert invite.token not in text
        stored = Invite.objects.get(pk=invite.pk)
        assert stored.token_hash not in text
        assert stored.token_nonce not in text


def test_list_leaves_out_soft_deleted_invites(admin_client, pending_invite, deleted_invite):
    ids = [row["id"] for row in admin_client.get(LIST).json()["results"]]
    assert ids == [str(pending_invite.pk)]


def test_list_pagination_default_size_and_limits(admin_client, make_invite):
    services.create_invites([f"bulk{i}@example.com" for i in range(205)])

    default = admin_client.get(LIST).json()
    assert (default["count"], len(default["results"])) == (205, 50)
    assert "page=2" in default["next"]
    assert len(admin_client.get(LIST, {"page_size": 120}).json()["results"]) == 120
    assert len(admin_client.get(LIST, {"page_size": 1000}).json()["results"]) == 200
    for bad in ("", "abc", "-3", "0", "1.5", "null", "9" * 2000, "\x00"):
        response = admin_client.get(LIST, {"page_size": bad})
        assert response.status_code == 400, bad
        assert list(response.json()) == ["page_size"]
    last = admin_client.get(LIST, {"page": 5}).json()
    assert len(last["results"]) == 5 and last["next"] is None


@pytest.mark.parametrize("page", ["99", "0", "abc", "-1", "", "last"])
def test_list_invalid_page_is_404(admin_client, pending_invite, page):
    response = admin_client.get(LIST, {"page": page})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_filters_by_status(admin_client, pending_invite, expired_invite, accepted_invite):
    expected = {"pending": pending_invite, "expired": expired_invite, "accepted": accepted_invite}
    for status, invite in expected.items():
        response = admin_client.get(LIST, {"status": status})
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [(row["id"], row["status"]) for row in rows] == [(str(invite.pk), status)]
    assert admin_client.get(LIST).json()["count"] == 3


@pytest.mark.parametrize("status", ["", "PENDING", "deleted", "all", "pending,expired", "\x00"])
def test_list_unknown_status_is_400(admin_client, pending_invite, status):
    response = admin_client.get(LIST, {"status": status})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_list_searches_by_email(admin_client, make_invite):
    ada = make_invite("ada.lovelace@example.com")
    make_invite("grace@example.org")

    rows = admin_client.get(LIST, {"search": "LOVELACE"}).json()["results"]

    assert [row["id"] for row in rows] == [str(ada.pk)]
    assert admin_client.get(LIST, {"search": "nobody"}).json()["count"] == 0


def test_list_search_with_a_null_character_is_400(admin_client):
    response = admin_client.get(LIST, {"search": "a\x00b"})
    assert response.status_code == 400
    assert list(response.json()) == ["search"]


def test_list_ordering(admin_client, make_invite):
    c, a, b = (
        make_invite("c@example.com"),
        make_invite("a@example.com"),
        make_invite("b@example.com"),
    )
    expire(b)

    def ids(**params: str) -> list[str]:
        return [row["id"] for row in admin_client.get(LIST, params).json()["results"]]

    assert ids() == [str(b.pk), str(a.pk), str(c.pk)]  # default: newest first
    assert ids(ordering="email") == [str(a.pk), str(b.pk), str(c.pk)]
    assert ids(ordering="-email") == [str(c.pk), str(b.pk), str(a.pk)]
    assert ids(ordering="expires_at")[0] == str(b.pk)
    assert ids(ordering="created_at") == [str(c.pk), str(a.pk), str(b.pk)]
    services.refresh_invite_tokens([c.pk])
    assert ids(ordering="-updated_at")[0] == str(c.pk)
    assert ids(ordering="updated_at")[-1] == str(c.pk)
    assert ids(ordering="token_hash") == ids()  # not an ordering field: default order


# --- create -----------------------------------------------------------------------------


def test_create_returns_the_invite_with_a_working_token(
    admin_client, record, django_capture_on_commit_callbacks
):
    created = record(invite_created)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            admin_client, LIST, {"email": " Ada@EXAMPLE.com ", "metadata": {"team": "x"}}
        )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == INVITE_KEYS
    assert body["email"] == "Ada@example.com"
    assert body["metadata"] == {"team": "x"}
    assert body["status"] == "pending" and body["accepted"] is False
    assert response["Cache-Control"] == "no-store"
    invite = Invite.objects.get(pk=body["id"])
    assert invite.token_hash == hash_token(body["token"])
    assert invite.invited_by is not None
    assert [call["invite"].pk for call in created.calls] == [invite.pk]
    assert services.accept_invite(body["token"], password=PASSWORD).email == "Ada@example.com"


def test_create_without_metadata_stores_null(admin_client):
    response = post_json(admin_client, LIST, {"email": "plain@example.com"})
    assert response.status_code == 201
    assert response.json()["metadata"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email"},
        {"email": ""},
        {"email": None},
        {"email": 42},
        {"email": ["a@example.com"]},
        {"email": "a" * 250 + "@example.com"},
        {"email": "a@example.com", "metadata": "text"},
        {"email": "a@example.com", "metadata": [1, 2]},
        {"email": "a@example.com", "metadata": {"k": "nul\x00"}},
        {"email": "a@example.com", "metadata": {"nul\x00key": 1}},
        {"email": "nul\x00@example.com"},
    ],
)
def test_create_invalid_body_is_400(admin_client, body, nothing_changes):
    with nothing_changes():
        response = post_json(admin_client, LIST, body)
    assert response.status_code == 400
    assert all(isinstance(m, list) for m in response.json().values())


def test_create_for_an_email_with_a_live_invite_is_400(
    admin_client, pending_invite, nothing_changes
):
    with nothing_changes(pending_invite):
        response = post_json(admin_client, LIST, {"email": "PENDING@example.com"})
    assert response.status_code == 400
    assert "pending@example.com" in response.json()["email"][0].lower()


def test_create_for_an_email_of_a_deleted_invite_works(admin_client, deleted_invite):
    response = post_json(admin_client, LIST, {"email": deleted_invite.email})
    assert response.status_code == 201


def test_create_for_an_existing_user_is_400(admin_client, make_user, nothing_changes):
    make_user(email="taken@example.com")
    with nothing_changes():
        response = post_json(admin_client, LIST, {"email": "taken@example.com"})
    assert response.status_code == 400
    assert "taken@example.com" in response.json()["email"][0]


# --- retrieve -----------------------------------------------------------------------------


def test_retrieve_returns_the_invite_with_a_null_token(admin_client, expired_invite):
    response = admin_client.get(detail(expired_invite))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == INVITE_KEYS
    assert body["id"] == str(expired_invite.pk)
    assert body["token"] is None
    assert body["status"] == "expired"
    assert body["sent_at"] is None


def test_retrieve_shows_when_the_current_link_was_sent(admin_client, pending_invite):
    sent_at = timezone.now() - timedelta(minutes=3)
    Invite.objects.filter(pk=pending_invite.pk).update(sent_at=sent_at)

    body = admin_client.get(detail(pending_invite)).json()

    assert parse_datetime(body["sent_at"]) == sent_at


BAD_IDS = [str(uuid.uuid4()), "not-a-uuid", "1234", "%20", "a.b", "zz" * 40]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_retrieve_unknown_or_malformed_id_is_404(admin_client, bad_id):
    response = admin_client.get(detail(bad_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("spelling", ["{%s}", "urn:uuid:%s"])
def test_retrieve_and_resend_read_ids_alike(admin_client, pending_invite, spelling):
    """A spelling the services do not take is not found by any endpoint."""
    odd = spelling % pending_invite.pk
    assert admin_client.get(detail(odd)).status_code == 404
    assert admin_client.post(resend(odd)).status_code == 404


def test_retrieve_deleted_invite_is_404(admin_client, deleted_invite):
    assert admin_client.get(detail(deleted_invite)).status_code == 404


# --- delete -------------------------------------------------------------------------------


def test_delete_soft_deletes(
    admin_client, pending_invite, record, django_capture_on_commit_callbacks
):
    deleted = record(invite_deleted)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.delete(detail(pending_invite))

    assert response.status_code == 204
    assert response.content == b""
    assert not Invite.objects.filter(pk=pending_invite.pk).exists()
    assert Invite.all_objects.get(pk=pending_invite.pk).deleted_at is not None
    assert [call["invite"].pk for call in deleted.calls] == [pending_invite.pk]
    assert admin_client.get(detail(pending_invite)).status_code == 404


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_delete_unknown_or_malformed_id_is_404(
    admin_client, pending_invite, bad_id, nothing_changes
):
    with nothing_changes(pending_invite):
        response = admin_client.delete(detail(bad_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_delete_deleted_invite_is_404(admin_client, deleted_invite, nothing_changes):
    with nothing_changes(deleted_invite):
        assert admin_client.delete(detail(deleted_invite)).status_code == 404


# --- resend -------------------------------------------------------------------------------


def test_resend_returns_a_new_working_token_and_revokes_the_old(
    admin_client, pending_invite, record, django_capture_on_commit_callbacks
):
    resent = record(invite_resent)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(resend(pending_invite))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == INVITE_KEYS
    assert body["token"] and body["token"] != pending_invite.token
    assert [call["token"] for call in resent.calls] == [body["token"]]
    assert Invite.objects.get(pk=pending_invite.pk).token_hash == hash_token(body["token"])
    assert admin_client.get(detail(pending_invite)).json()["token"] is None


def test_resend_makes_an_expired_invite_pending(admin_client, expired_invite):
    response = admin_client.post(resend(expired_invite))
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_resend_unknown_or_malformed_id_is_404(
    admin_client, pending_invite, bad_id, nothing_changes
):
    with nothing_changes(pending_invite):
        response = admin_client.post(resend(bad_id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_resend_deleted_invite_is_404(admin_client, deleted_invite, nothing_changes):
    with nothing_changes(deleted_invite):
        assert admin_client.post(resend(deleted_invite)).status_code == 404


def test_resend_accepted_invite_is_409(admin_client, accepted_invite, nothing_changes):
    with nothing_changes(accepted_invite):
        response = admin_client.post(resend(accepted_invite))
    assert response.status_code == 409
    assert response.json()["code"] == "already_accepted"
    assert response.json()["ids"] == [str(accepted_invite.pk)]


# --- refresh ------------------------------------------------------------------------------


def test_refresh_returns_invites_in_given_order_with_new_tokens(
    admin_client, make_invite, expired_invite, record, django_capture_on_commit_callbacks
):
    first, second = make_invite(), make_invite()
    ids = [str(second.pk), str(expired_invite.pk), str(first.pk), str(second.pk)]
    resent = record(invite_resent)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(admin_client, REFRESH, {"invite_ids": ids})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    rows = response.json()
    assert isinstance(rows, list)
    assert [row["id"] for row in rows] == ids[:3]
    assert all(set(row) == INVITE_KEYS and row["status"] == "pending" for row in rows)
    for row in rows:
        assert Invite.objects.get(pk=row["id"]).token_hash == hash_token(row["token"])
    assert [call["invite"].pk for call in resent.calls] == [second.pk, expired_invite.pk, first.pk]
    assert services.accept_invite(rows[2]["token"], password=PASSWORD).email == first.email


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": ["x"]},
        {"invite_ids": None},
        {"invite_ids": "a-single-id"},
        {"invite_ids": {"0": "id"}},
        {"invite_ids": 7},
        {"invite_ids": []},
        {"invite_ids": [1]},
        {"invite_ids": [None]},
        {"invite_ids": [["nested"]]},
        {"invite_ids": [{"id": "x"}]},
        {"invite_ids": [True]},
        {"invite_ids": ["x" * 65]},
        None,
        [],
        ["id"],
        42,
        "invite_ids",
        True,
    ],
)
def test_refresh_bad_body_is_400(admin_client, pending_invite, body, nothing_changes):
    with nothing_changes(pending_invite):
        response = post_json(admin_client, REFRESH, body)
    assert response.status_code == 400
    messages = response.json()
    assert isinstance(messages, dict)
    assert all(isinstance(value, list) for value in messages.values())


def test_refresh_with_a_non_string_id_says_so(admin_client, pending_invite):
    response = post_json(admin_client, REFRESH, {"invite_ids": [str(pending_invite.pk), 5]})
    assert response.status_code == 400
    assert response.json() == {"invite_ids": ["Each invite id must be a string."]}


def test_refresh_more_than_max_batch_size_is_400(
    settings, admin_client, make_invite, nothing_changes
):
    settings.INVITES = {"MAX_BATCH_SIZE": 2}
    invites = [make_invite() for _ in range(3)]

    with nothing_changes(*invites):
        response = post_json(admin_client, REFRESH, {"invite_ids": [str(i.pk) for i in invites]})
    assert response.status_code == 400
    assert "2" in response.json()["invite_ids"][0]
    ok = post_json(admin_client, REFRESH, {"invite_ids": [str(i.pk) for i in invites[:2]]})
    assert ok.status_code == 200


def test_refresh_unknown_ids_is_400_naming_every_one(
    admin_client, pending_invite, deleted_invite, accepted_invite, nothing_changes
):
    unknown = str(uuid.uuid4())
    ids = [
        str(pending_invite.pk),
        "bogus",
        unknown,
        str(deleted_invite.pk),
        str(accepted_invite.pk),
        "",
        "bogus",
    ]
    with nothing_changes(pending_invite, deleted_invite, accepted_invite):
        response = post_json(admin_client, REFRESH, {"invite_ids": ids})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_found"
    assert body["ids"] == ["bogus", unknown, str(deleted_invite.pk), ""]
    for value in ("bogus", unknown, str(deleted_invite.pk)):
        assert value in body["detail"]


def test_refresh_accepted_invites_is_409_naming_them(
    admin_client, pending_invite, accepted_invite, nothing_changes
):
    ids = [str(pending_invite.pk), str(accepted_invite.pk)]
    with nothing_changes(pending_invite, accepted_invite):
        response = post_json(admin_client, REFRESH, {"invite_ids": ids})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_accepted"
    assert body["ids"] == [str(accepted_invite.pk)]
    assert str(accepted_invite.pk) in body["detail"]


def test_refresh_is_post_only(admin_client):
    assert admin_client.get(REFRESH).status_code == 405


# --- accept -------------------------------------------------------------------------------


def test_accept_creates_the_user(pending_invite, record, django_capture_on_commit_callbacks):
    accepted = record(invite_accepted)
    body = {
        "token": pending_invite.token,
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(APIClient(), ACCEPT, body)

    assert response.status_code == 201
    user = User.objects.get(email=pending_invite.email)
    assert response.json() == {"user": {"id": user.pk, "email": pending_invite.email}}
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.check_password(PASSWORD)
    assert Invite.objects.get(pk=pending_invite.pk).status == "accepted"
    assert [call["user"].pk for call in accepted.calls] == [user.pk]


def test_accept_ignores_an_email_in_the_body(pending_invite):
    body = {"token": pending_invite.token, "password": PASSWORD, "email": "evil@example.com"}
    response = post_json(APIClient(), ACCEPT, body)
    assert response.status_code == 201
    assert response.json()["user"]["email"] == "pending@example.com"
    assert not User.objects.filter(email="evil@example.com").exists()


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000, "\x00"])
def test_accept_unknown_token_is_invalid_token(pending_invite, token, nothing_changes):
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, {"token": token, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_accept_revoked_token_is_invalid_token(pending_invite, nothing_changes):
    old = pending_invite.token
    services.refresh_invite_tokens([pending_invite.pk])
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, {"token": old, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_accept_deleted_invite_is_invalid_token(deleted_invite, nothing_changes):
    with nothing_changes(deleted_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": deleted_invite.token, "password": PASSWORD}
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_accept_expired_invite_says_it_expired(expired_invite, nothing_changes):
    with nothing_changes(expired_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": expired_invite.token, "password": PASSWORD}
        )
    assert response.status_code == 400
    assert response.json()["code"] == "expired"
    assert "expired" in response.json()["detail"]


def test_accept_twice_is_already_accepted(pending_invite, nothing_changes):
    body = {"token": pending_invite.token, "password": PASSWORD}
    assert post_json(APIClient(), ACCEPT, body).status_code == 201
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, body)
    assert response.status_code == 400
    assert response.json()["code"] == "already_accepted"


def test_accept_when_the_user_exists_is_409(pending_invite, make_user, nothing_changes):
    make_user(email="PENDING@example.com")
    with nothing_changes(pending_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": pending_invite.token, "password": PASSWORD}
        )
    assert response.status_code == 409
    assert response.json()["code"] == "user_exists"


@pytest.mark.parametrize("password", ["123", "password", "12345678901234", "pending@example.com"])
def test_accept_weak_password_is_400_with_the_validators_messages(
    pending_invite, password, nothing_changes
):
    with nothing_changes(pending_invite):
        response = post_json(
            APIClient(), ACCEPT, {"token": pending_invite.token, "password": password}
        )
    assert response.status_code == 400
    messages = response.json()["password"]
    assert messages and all(isinstance(m, str) for m in messages)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"token": "x"},
        {"password": PASSWORD},
        {"token": None, "password": PASSWORD},
        {"token": "x", "password": ""},
        {"token": "x", "password": PASSWORD, "first_name": "x" * 151},
        {"token": "x", "password": PASSWORD, "first_name": "nul\x00"},
        {"token": "x", "password": PASSWORD, "last_name": ["list"]},
        None,
        [],
        "token",
    ],
)
def test_accept_bad_body_is_400(pending_invite, body, nothing_changes):
    with nothing_changes(pending_invite):
        response = post_json(APIClient(), ACCEPT, body)
    assert response.status_code == 400
    assert all(isinstance(value, list) for value in response.json().values())


def test_accept_is_throttled_per_client_address(settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    body = {"token": "wrong", "password": PASSWORD}
    client = APIClient(REMOTE_ADDR="10.0.0.1")

    assert post_json(client, ACCEPT, body).status_code == 400
    assert post_json(client, ACCEPT, body).status_code == 400
    response = post_json(client, ACCEPT, body)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Even a good token is refused from that address now, and nothing happens.
    good = {"token": pending_invite.token, "password": PASSWORD}
    assert post_json(client, ACCEPT, good).status_code == 429
    assert not User.objects.filter(email=pending_invite.email).exists()
    # Another address has its own budget; X-Forwarded-For is not trusted by default.
    other = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert post_json(other, ACCEPT, good).status_code == 201
    spoof = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert post_json(spoof, ACCEPT, body).status_code == 429


def test_accept_default_rate_is_ten_a_minute(settings):
    settings.INVITES = {}
    client = APIClient(REMOTE_ADDR="10.0.0.3")
    codes = [
        post_json(client, ACCEPT, {"token": "x", "password": "y"}).status_code for _ in range(11)
    ]
    assert codes == [400] * 10 + [429]


# --- bodies of any shape: 4xx, never 500 ----------------------------------------------------

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
def test_no_body_of_any_shape_is_a_500(admin_client, pending_invite, url, raw, content_type):
    if url == "resend":
        url = resend(pending_invite)
    response = admin_client.generic("POST", url, raw, content_type=content_type)
    assert 200 <= response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert isinstance(response.json(), dict)


def test_unsupported_content_type_is_415(admin_client):
    response = admin_client.post(REFRESH, data="invite_ids=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_malformed_json_is_400_with_a_code(admin_client):
    response = admin_client.generic("POST", REFRESH, b"{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unsupported_methods_are_405(admin_client, pending_invite):
    assert admin_client.put(detail(pending_invite), {}, format="json").status_code == 405
    assert admin_client.patch(detail(pending_invite), {}, format="json").status_code == 405
    assert admin_client.delete(LIST).status_code == 405
    assert admin_client.get(resend(pending_invite)).status_code == 405
    assert APIClient().get(ACCEPT).status_code == 405


# --- query budget -----------------------------------------------------------------------------


def test_resend_runs_a_small_fixed_number_of_queries(
    admin_client, pending_invite, django_assert_max_num_queries
):
    admin_client.get(LIST)  # warm up the content types and permission caches
    with django_assert_max_num_queries(8):
        assert admin_client.post(resend(pending_invite)).status_code == 200


def test_refresh_query_count_does_not_grow_with_the_ids(
    admin_client, make_invite, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one = [str(make_invite().pk)]
    many = [str(make_invite().pk) for _ in range(40)]
    admin_client.get(LIST)

    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as single:
        assert post_json(admin_client, REFRESH, {"invite_ids": one}).status_code == 200
    with CaptureQueriesContext(connection) as batch:
        assert post_json(admin_client, REFRESH, {"invite_ids": many}).status_code == 200
    assert len(batch) == len(single)


def test_list_query_count_does_not_grow_with_the_page(admin_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.create_invites([f"small{i}@example.com" for i in range(5)])
    admin_client.get(LIST)
    with CaptureQueriesContext(connection) as small:
        assert len(admin_client.get(LIST).json()["results"]) == 5

    services.create_invites([f"big{i}@example.com" for i in range(145)])
    with django_assert_num_queries(len(small)):
        response = admin_client.get(LIST, {"page_size": 150})
    assert len(response.json()["results"]) == 150


# --- independence from the project's REST_FRAMEWORK defaults -------------------------------


def wrapping_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """A project-wide handler that reshapes DRF's error bodies."""
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is not None:
        response.data = {"error": response.data}
    return response


def test_project_rest_framework_defaults_do_not_change_the_api(
    settings, viewer_client, admin_client, accepted_invite, make_invite
):
    settings.REST_FRAMEWORK = {
        **getattr(settings, "REST_FRAMEWORK", {}),
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
        "PAGE_SIZE": 1,
        "DEFAULT_FILTER_BACKENDS": [],
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
        "EXCEPTION_HANDLER": "tests.test_api.wrapping_exception_handler",
    }
    make_invite()

    anonymous = APIClient().get(LIST)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    page = viewer_client.get(LIST, {"status": "pending"}).json()
    assert set(page) == {"count", "next", "previous", "results"} and page["count"] == 1
    assert viewer_client.post(resend(accepted_invite)).status_code == 403
    # Domain errors are still mapped by the app, then shaped by the project's handler.
    conflict = admin_client.post(resend(accepted_invite))
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "already_accepted"
