"""The adapter's decisions about targets, and where an accept leads: the defaults."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group

from invites import services
from invites.adapter import DefaultInviteAdapter, get_adapter
from invites.web.forms import AcceptInviteForm
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def adapter() -> DefaultInviteAdapter:
    return DefaultInviteAdapter()


@pytest.fixture
def user(db):
    return User.objects.create_user(username="u", email="u@example.com")


def test_any_role_and_any_inviter_by_default(adapter, team):
    assert adapter.get_roles(team) is None
    assert adapter.get_roles(None) is None
    assert adapter.can_invite(None, target=team, role="x", groups=[])


def test_is_member_by_default_means_in_every_group_without_a_target(adapter, user, team, group):
    other = Group.objects.create(name="other")
    assert adapter.is_member(user, target=None, role="", groups=[])
    assert not adapter.is_member(user, target=None, role="", groups=[group])
    user.groups.add(group)
    user = User.objects.get(pk=user.pk)
    assert adapter.is_member(user, target=None, role="", groups=[group])
    assert not adapter.is_member(user, target=None, role="", groups=[group, other])
    assert not adapter.is_member(user, target=team, role="", groups=[group])


def test_grant_by_default_adds_the_groups(adapter, user, group, make_invite):
    invite = make_invite("u@example.com", groups=[group])
    adapter.grant(invite, user)
    assert list(user.groups.all()) == [group]


def test_describe_target_is_the_targets_text_or_the_site_name(settings, adapter, team, make_invite):
    settings.INVITES = {"SITE_NAME": "Example"}
    assert adapter.describe_target(make_invite(target=team)) == "Marketing"
    assert adapter.describe_target(make_invite()) == "Example"
    deleted_target = make_invite(target=team)
    team.delete()
    deleted_target.refresh_from_db()
    assert adapter.describe_target(deleted_target) == "Example"


def test_the_accept_form_is_named_by_its_path(adapter):
    assert adapter.get_accept_form_class() is AcceptInviteForm
    assert get_adapter().accept_form_class == "invites.web.forms.AcceptInviteForm"


def test_after_an_accept_a_signed_in_user_goes_to_login_redirect_url(
    adapter, rf, pending_invite, settings
):
    settings.LOGIN_REDIRECT_URL = "/home/"
    user = services.accept_invite(pending_invite.token, password=PASSWORD)
    request = rf.get("/")
    request.user = user
    assert adapter.get_accept_redirect_url(pending_invite, user, request=request) == "/home/"
    assert adapter.get_accept_redirect_url(pending_invite, user) == "/home/"


def test_a_user_not_signed_in_goes_to_the_success_page(adapter, rf, pending_invite, settings):
    user = services.accept_invite(pending_invite.token, password=PASSWORD)
    request = rf.get("/")
    request.user = AnonymousUser()
    assert adapter.get_accept_redirect_url(pending_invite, user, request=request) == (
        "/invites/accept/done/"
    )
    settings.INVITES = {"LOGIN_ON_ACCEPT": False}
    assert adapter.get_accept_redirect_url(pending_invite, user) == "/invites/accept/done/"


def test_login_redirect_url_may_be_a_url_name(adapter, rf, pending_invite, settings):
    settings.LOGIN_REDIRECT_URL = "invites:accept_done"
    user = services.accept_invite(pending_invite.token, password=PASSWORD)
    assert adapter.get_accept_redirect_url(pending_invite, user) == "/invites/accept/done/"
