"""Target references and groups as callers spell them (`invites.targets`)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from invites import services
from invites.targets import (
    invite_target_reference,
    parse_target_reference,
    resolve_groups,
    resolve_target,
    target_label,
    target_reference,
)
from tests.teams.models import Team

pytestmark = pytest.mark.django_db


def error_fields(caught: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(caught.value.message_dict)


def test_a_type_and_an_id_resolve_to_the_instance(team):
    assert resolve_target("teams.team", str(team.pk)) == team
    assert resolve_target("teams.Team", team.pk) == team


@pytest.mark.parametrize(
    "target_type", ["teams", "teams.nothing", "nothing.team", "", ".", "a.b.c"]
)
def test_an_unknown_type_is_refused_on_the_type_field(target_type):
    with pytest.raises(ValidationError) as caught:
        resolve_target(target_type, "1")
    assert error_fields(caught) == {"target_type"}


@pytest.mark.parametrize("target_id", ["999", "", "abc", None, "1" * 65, " "])
def test_a_missing_object_is_refused_on_the_id_field(team, target_id):
    with pytest.raises(ValidationError) as caught:
        resolve_target("teams.team", target_id)
    assert error_fields(caught) == {"target_id"}
    assert "No team with id" in " ".join(caught.value.messages)


def test_the_field_names_are_the_callers(team):
    with pytest.raises(ValidationError) as caught:
        resolve_target("teams.nothing", "1", type_field="kind", id_field="ident")
    assert error_fields(caught) == {"kind"}


def test_a_reference_round_trips(team):
    reference = target_reference(team)
    assert reference == f"teams.team:{team.pk}"
    assert parse_target_reference(reference) == team


@pytest.mark.parametrize("reference", ["teams.team", "teams.team:", "x.y:1", "teams.team:999"])
def test_a_bad_reference_is_refused_on_its_field(team, reference):
    with pytest.raises(ValidationError) as caught:
        parse_target_reference(reference, field="target")
    assert error_fields(caught) == {"target"}


def test_an_invites_reference_and_label(team):
    [invite] = services.create_invites(["a@example.com"], target=team)
    assert invite_target_reference(invite) == f"teams.team:{team.pk}"
    assert target_label(invite) == "Marketing"


def test_a_site_invite_has_no_reference_and_is_labelled_by_the_site(settings):
    settings.INVITES = {"SITE_NAME": "Example"}
    [invite] = services.create_invites(["a@example.com"])
    assert invite_target_reference(invite) is None
    assert target_label(invite) == "Example"


def test_groups_by_instance_or_name_collapse_duplicates():
    editors, readers = Group.objects.create(name="editors"), Group.objects.create(name="readers")
    assert resolve_groups([editors, "readers", "editors", readers]) == [editors, readers]
    assert resolve_groups("editors") == [editors]
    assert resolve_groups(None) == []


def test_unknown_group_names_are_all_named():
    Group.objects.create(name="editors")
    with pytest.raises(ValidationError) as caught:
        resolve_groups(["editors", "ghosts", "spooks"])
    assert error_fields(caught) == {"groups"}
    assert "ghosts, spooks" in " ".join(caught.value.messages)


@pytest.mark.parametrize("group", [Group(name="unsaved"), 7, "", None])
def test_a_group_that_is_no_saved_group_or_name_is_refused(group):
    with pytest.raises(ValidationError):
        resolve_groups([group])


def test_an_unsaved_target_is_refused():
    with pytest.raises(ValidationError) as caught:
        services.create_invites(["a@example.com"], target=Team(name="Unsaved"))
    assert error_fields(caught) == {"target"}
