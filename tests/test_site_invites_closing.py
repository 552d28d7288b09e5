"""A new account closes the open plain site invites of its email, whatever made it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase

from invites import services
from invites.models import Invite, InviteStatus
from tests.helpers import PASSWORD, expire

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_a_new_user_closes_the_plain_site_invite_as_accepted_by_them(pending_invite):
    user = User.objects.create_user(username="p", email="Pending@EXAMPLE.com")
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert stored.status == InviteStatus.ACCEPTED
    assert stored.accepted_by == user
    assert stored.accepted_at is not None


def test_an_expired_plain_site_invite_is_closed_too(expired_invite):
    User.objects.create_user(username="e", email="expired@example.com")
    assert Invite.objects.get(pk=expired_invite.pk).accepted


def test_createsuperuser_closes_it(pending_invite):
    call_command(
        "createsuperuser",
        "--no-input",
        "--username=root",
        "--email=pending@example.com",
        stdout=io.StringIO(),
    )
    assert Invite.objects.get(pk=pending_invite.pk).accepted_by.username == "root"


def test_an_account_made_in_the_admin_without_the_email_leaves_it_open(
    admin_client, pending_invite
):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "new",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(username="new")
    user.email = "pending@example.com"
    user.save()  # an email set later makes no new account
    assert Invite.objects.get(pk=pending_invite.pk).is_open


def test_invites_that_grant_something_stay_open(team, granting_invite):
    [into_team] = services.create_invites(["granting@example.com"], target=team)
    User.objects.create_user(username="g", email="granting@example.com")
    assert Invite.objects.get(pk=granting_invite.pk).is_open
    assert Invite.objects.get(pk=into_team.pk).is_open


def test_other_emails_declined_and_deleted_invites_are_left_alone(make_invite):
    other = make_invite("other@example.com")
    declined = make_invite("same@example.com")
    services.decline_invite(declined.token)
    deleted = make_invite("same@example.com")
    services.delete_invites([deleted.pk])
    User.objects.create_user(username="s", email="same@example.com")
    assert Invite.objects.get(pk=other.pk).is_open
    assert Invite.objects.get(pk=declined.pk).is_declined
    assert not Invite.all_objects.get(pk=deleted.pk).accepted


def test_a_closed_invite_is_never_emailed_again(pending_invite, dummy_tasks):
    expire(pending_invite)
    User.objects.create_user(username="p", email="pending@example.com")
    dummy_tasks.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("refresh_invites", "--expired", stdout=io.StringIO())
        call_command("send_invite_emails", "--stale-after", "0s", stdout=io.StringIO())
    assert dummy_tasks.results == []


def test_accepting_closes_the_invite_once_as_accepted_by_the_new_user(
    pending_invite, record, django_capture_on_commit_callbacks
):
    from invites.signals import invite_accepted

    accepted = record(invite_accepted)
    with django_capture_on_commit_callbacks(execute=True):
        user = services.accept_invite(pending_invite.token, password=PASSWORD)
    stored = Invite.objects.get(pk=pending_invite.pk)
    assert stored.accepted_by == user
    assert [call["invite"].pk for call in accepted.calls] == [pending_invite.pk]


def test_accepting_a_team_invite_closes_the_plain_site_invite_of_the_email(
    team, make_invite, django_capture_on_commit_callbacks
):
    plain = make_invite("both@example.com")
    [into_team] = services.create_invites(["both@example.com"], target=team)
    user = services.accept_invite(into_team.token, password=PASSWORD)
    assert Invite.objects.get(pk=plain.pk).accepted_by == user
    assert Invite.objects.get(pk=into_team.pk).accepted_by == user
