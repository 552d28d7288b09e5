"""Examples of the API's requests and responses, for the OpenAPI schema and its docs page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

# An invite into a team, as every response renders one.
TEAM_INVITE: dict[str, Any] = {
    "id": "5b0c1f8e-3f7a-4b8e-9a57-0f6d1e2c3b4a",
    "email": "grace@example.com",
    "accepted": False,
    "token": "q7Zk...raw-token...",
    "expires_at": "2026-01-02T09:00:00Z",
    "metadata": None,
    "created_at": "2026-01-01T09:00:00Z",
    "updated_at": "2026-01-01T09:00:00Z",
    "deleted_at": None,
    "sent_at": None,
    "status": "pending",
    "target": {"type": "teams.team", "id": "7", "name": "Marketing"},
    "role": "editor",
    "groups": ["Newsletter"],
    "invited_by": {"id": 1, "email": "ada@example.com"},
    "accepted_at": None,
    "accepted_by": None,
    "declined_at": None,
    "delivery": {"status": "queued", "attempts": 0, "error": "", "sent_at": None},
}
# The same invite once its invitee has joined with an existing account.
JOINED_INVITE: dict[str, Any] = {
    **TEAM_INVITE,
    "token": None,
    "accepted": True,
    "status": "accepted",
    "updated_at": "2026-01-01T10:00:00Z",
    "accepted_at": "2026-01-01T10:00:00Z",
    "accepted_by": {"id": 42, "email": "grace@example.com"},
}
# The same invite once its invitee has declined it.
DECLINED_INVITE: dict[str, Any] = {
    **TEAM_INVITE,
    "token": None,
    "status": "declined",
    "updated_at": "2026-01-01T10:00:00Z",
    "declined_at": "2026-01-01T10:00:00Z",
}

CREATE_EXAMPLES = [
    OpenApiExample(
        "An invite to the site",
        request_only=True,
        value={"email": "ada@example.com", "metadata": {"source": "signup-page"}},
    ),
    OpenApiExample(
        "An invite into a team with a role and a group",
        request_only=True,
        value={
            "email": "grace@example.com",
            "target": {"type": "teams.team", "id": "7"},
            "role": "editor",
            "groups": ["Newsletter"],
        },
    ),
    OpenApiExample(
        "Created into a team", response_only=True, status_codes=["201"], value=TEAM_INVITE
    ),
    OpenApiExample(
        "Already a member",
        response_only=True,
        status_codes=["400"],
        value={
            "detail": "These users already have what the invite grants: grace@example.com.",
            "code": "already_member",
        },
    ),
    OpenApiExample(
        "An unknown target",
        response_only=True,
        status_codes=["400"],
        value={"target": ["No teams.team with the id “99” exists."]},
    ),
    OpenApiExample(
        "Not allowed to invite",
        response_only=True,
        status_codes=["403"],
        value={
            "detail": "You may not invite into this team as owner.",
            "code": "permission_denied",
        },
    ),
]

BULK_EXAMPLES = [
    OpenApiExample(
        "Three invites",
        request_only=True,
        value={
            "invites": [
                {"email": "ada@example.com", "metadata": {"team": "research"}},
                {"email": "grace@example.com"},
                {"email": "alan@example.com"},
            ]
        },
    ),
    OpenApiExample(
        "Skipping existing invites and users",
        request_only=True,
        value={
            "invites": [{"email": "ada@example.com"}, {"email": "new@example.com"}],
            "skip_existing": True,
        },
    ),
    OpenApiExample(
        "Into a team with a role of their own for one",
        request_only=True,
        value={
            "invites": [
                {"email": "grace@example.com"},
                {"email": "alan@example.com", "role": "admin"},
            ],
            "target": {"type": "teams.team", "id": "7"},
            "role": "editor",
            "skip_existing": True,
        },
    ),
    OpenApiExample(
        "Created with one skipped",
        response_only=True,
        status_codes=["201"],
        value={
            "created": [TEAM_INVITE],
            "skipped": [{"index": 1, "email": "alan@example.com", "reason": "already_member"}],
        },
    ),
    OpenApiExample(
        "Bad rows",
        response_only=True,
        status_codes=["400"],
        value={
            "detail": "Nothing was created: 2 entries cannot be imported.",
            "code": "invalid_rows",
            "rows": [
                {
                    "index": 1,
                    "email": "grace@",
                    "code": "invalid",
                    "detail": "“grace@” is not a valid email address.",
                },
                {
                    "index": 2,
                    "email": "ADA@example.com",
                    "code": "duplicate",
                    "detail": "This email appears earlier in the same import.",
                },
            ],
        },
    ),
]

ACCEPT_EXAMPLES = [
    OpenApiExample(
        "A user exists already",
        response_only=True,
        status_codes=["409"],
        value={
            "detail": "An account with this invite's email exists already: sign in and join "
            "the invite with it (POST /api/invites/join/).",
            "code": "user_exists",
        },
    ),
    OpenApiExample(
        "Declined",
        response_only=True,
        status_codes=["400"],
        value={"detail": "This invite has been declined.", "code": "declined"},
    ),
]

JOIN_EXAMPLES = [
    OpenApiExample("A token", request_only=True, value={"token": "q7Zk...raw-token..."}),
    OpenApiExample(
        "Joined",
        response_only=True,
        status_codes=["200"],
        value={"user": {"id": 42, "email": "grace@example.com"}, "invite": JOINED_INVITE},
    ),
    OpenApiExample(
        "Another account",
        response_only=True,
        status_codes=["403"],
        value={
            "detail": "This invite is for another email address than your account's. Sign "
            "in with the account of the address the invite was sent to.",
            "code": "email_mismatch",
        },
    ),
    OpenApiExample(
        "Nothing to join",
        response_only=True,
        status_codes=["409"],
        value={
            "detail": "This invite is to the site itself, which your account has joined "
            "already: there is nothing to join.",
            "code": "user_exists",
        },
    ),
]

DECLINE_EXAMPLES = [
    OpenApiExample("A token", request_only=True, value={"token": "q7Zk...raw-token..."}),
    OpenApiExample("Declined", response_only=True, status_codes=["200"], value=DECLINED_INVITE),
    OpenApiExample(
        "Accepted already",
        response_only=True,
        status_codes=["400"],
        value={"detail": "This invite has already been accepted.", "code": "already_accepted"},
    ),
]
