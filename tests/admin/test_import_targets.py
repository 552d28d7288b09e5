"""The admin's import page into a target: preview, refusals, confirmation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from invites.models import Invite
from tests.admin.helpers import messages_of, team_type
from tests.teams.models import Membership, Team

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team_adapter")]
IMPORT = "/admin/invites/invite/import/"


@pytest.fixture
def admin_owns(team, admin_user):
    """The admin may invite into `team` with any role: they own it."""
    Membership.objects.create(team=team, user=admin_user, role="owner")
    return team


def confirm(client, response):
    payload = re.search(r'name="payload" value="([^"]+)"', response.content.decode())
    assert payload, "no confirm form on the page"
    return client.post(IMPORT, {"payload": payload.group(1), "_confirm": "1"})


def test_import_into_a_team_previews_what_each_invite_grants(admin_client, admin_owns, admin_user):
    staff = Group.objects.create(name="Staff")
    fields = {
        "text": "ada@example.com\ngrace@example.com\n",
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "member",
        "groups": [str(staff.pk)],
    }

    preview = admin_client.post(IMPORT, fields)

    page = preview.content.decode()
    assert "2 invites to create." in page
    assert "What each invite grants: Team: Marketing; as member; groups: Staff." in page
    assert not Invite.objects.exists()
    assert confirm(admin_client, preview).status_code == 302
    invites = Invite.objects.order_by("email")
    assert [(i.email, i.target, i.role, i.invited_by) for i in invites] == [
        ("ada@example.com", admin_owns, "member", admin_user),
        ("grace@example.com", admin_owns, "member", admin_user),
    ]
    assert all(list(i.groups.all()) == [staff] for i in invites)


def test_import_names_members_and_skips_them_on_request(admin_client, admin_owns, admin_user):
    fields = {
        "text": f"new@example.com\n{admin_user.email}\n",
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "member",
    }

    refused = admin_client.post(IMPORT, fields).content.decode()
    assert f"<td>2</td><td>{admin_user.email}</td><td>already a member</td>" in refused
    assert 'name="payload"' not in refused

    skipping = admin_client.post(IMPORT, {**fields, "skip_existing": "on"})
    assert "1 row to skip." in skipping.content.decode()
    assert confirm(admin_client, skipping).status_code == 302
    assert [i.email for i in Invite.objects.all()] == ["new@example.com"]


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"target_id": "999999"}, "target_id"),
        ({"role": "boss"}, "role"),
    ],
)
def test_import_shows_refusals_of_the_grants_on_the_form(admin_client, admin_owns, extra, field):
    fields = {
        "text": "ada@example.com\n",
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "member",
        **extra,
    }
    response = admin_client.post(IMPORT, fields)
    assert field in response.context["form"].errors
    assert response.context["preview"] is None


def test_import_when_can_invite_refuses_you(admin_client, team):
    fields = {
        "text": "ada@example.com\n",
        "target_type": team_type(),
        "target_id": str(team.pk),
        "role": "member",
    }
    response = admin_client.post(IMPORT, fields)
    assert response.context["form"].non_field_errors()
    assert response.context["preview"] is None


def test_import_confirm_judges_the_target_again(admin_client, admin_owns, admin_user):
    fields = {
        "text": "ada@example.com\n",
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "admin",
    }
    preview = admin_client.post(IMPORT, fields)
    # Since the preview, the admin lost the right to give that role.
    Membership.objects.filter(user=admin_user).update(role="member")

    done = confirm(admin_client, preview)

    assert done.status_code == 302
    [message] = messages_of(admin_client.get(IMPORT))
    assert message.startswith("Nothing was created:")
    assert not Invite.objects.exists()


def test_import_confirm_with_a_deleted_target_creates_nothing(admin_client, admin_owns):
    fields = {
        "text": "ada@example.com\n",
        "target_type": team_type(),
        "target_id": str(admin_owns.pk),
        "role": "member",
    }
    preview = admin_client.post(IMPORT, fields)
    Team.objects.filter(pk=admin_owns.pk).delete()

    assert confirm(admin_client, preview).status_code == 302
    assert not Invite.objects.exists()
