"""The shared reader and judge of imports (`invites.imports`, `services.check_import`,
`services.import_invites`): what the bulk API, the admin's import page and the
`import_invites` command all rely on, tested once here."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from invites import imports, services
from invites.checks import check_settings
from invites.exceptions import InvalidImportFile, InvalidImportRows
from invites.imports import ImportRow
from invites.models import Invite
from invites.services import importing
from invites.signals import invite_created
from tests.helpers import PASSWORD

User = get_user_model()


class GeneratedFile(io.RawIOBase):
    """A file of `header` then `count` lines made on the fly: a huge input in no memory."""

    def __init__(self, header: bytes, line: bytes, count: int) -> None:
        self.pending = header
        self.line = line
        self.left = count
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while len(self.pending) < len(target) and self.left:
            batch = min(self.left, 1000)
            self.pending += self.line * batch
            self.left -= batch
        data, self.pending = self.pending[: len(target)], self.pending[len(target) :]
        target[: len(data)] = data
        self.given += len(data)
        return len(data)


@pytest.fixture(autouse=True)
def in_english():
    """Messages (and the numbers in them) as English readers see them, whatever ran before."""
    with translation.override("en-us"):
        yield


def read(data: bytes, **limits) -> list[ImportRow]:
    return imports.read_csv(io.BytesIO(data), **limits)


def refusal(data: bytes, **limits) -> InvalidImportFile:
    with pytest.raises(InvalidImportFile) as caught:
        read(data, **limits)
    return caught.value


# --- reading CSV -----------------------------------------------------------------------


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_with_or_without_bom_and_either_delimiter(bom, delimiter):
    text = f"Name{delimiter}Email{delimiter}team\nAda{delimiter} ada@example.com {delimiter}\n"
    rows = read(bom + text.encode())
    assert rows == [ImportRow(line=2, email="ada@example.com", metadata={"Name": "Ada"})]


def test_other_columns_go_into_metadata_and_blank_lines_keep_line_numbers():
    data = (
        b'email,team,note\r\nada@example.com,research,"line one\r\nline two"\r\n'
        b"\r\n,,\r\nbob@example.com,,\r\n"
    )
    assert read(data) == [
        ImportRow(2, "ada@example.com", {"team": "research", "note": "line one\r\nline two"}),
        ImportRow(6, "bob@example.com", None),
    ]


def test_a_row_without_an_email_is_kept_for_the_judge():
    assert read(b"email,team\n,sales\n") == [ImportRow(2, "", {"team": "sales"})]


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "empty", "The file is empty."),
        (b"\xef\xbb\xbf\n\n", "empty", "The file is empty."),
        (b"email\n\n", "empty", "The file has a header row but no addresses."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_csv", "This is not a CSV file."),
        ("email\nada@example.com\nbé@example.com\n".encode("latin-1"), "not_utf8", "Line 3 "),
        (b"name,mail\nAda,ada@example.com\n", "no_email_column", "one of them “email”"),
        (b"email,team,Team\na@example.com,x,y\n", "duplicate_column", "“Team” appears twice"),
        (b"email\na@example.com,extra\n", "not_csv", "Line 2 has more values"),
        (b'email\na@example.com\n"open\n', "not_csv", "Line 3 cannot be read as CSV"),
    ],
)
def test_files_that_cannot_be_imported(data, code, message):
    error = refusal(data)
    assert error.code == code
    assert message in error.message


def test_too_large_stops_reading_at_the_limit():
    # 50 MB, generated as it is read: the reader must stop near the limit.
    stream = GeneratedFile(b"email\n", b"someone.with.a.long.name@example.com\n", 1_400_000)
    tracemalloc.start()
    with pytest.raises(InvalidImportFile) as caught:
        imports.read_csv(stream, max_bytes=1_000_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert caught.value.code == "too_large"
    assert "at most 976.6\xa0KB" in caught.value.message
    assert stream.given < 1_100_000
    assert peak < 10_000_000  # the rows read up to the limit; not the 50 MB


def test_too_many_rows_stops_reading_at_the_limit(settings):
    settings.INVITES = {"IMPORT_MAX_ROWS": 1000}
    stream = GeneratedFile(b"email\n", b"a@example.com\n", 1_000_000)
    with pytest.raises(InvalidImportFile) as caught:
        imports.read_csv(stream)
    assert caught.value.code == "too_many_rows"
    assert caught.value.message == "An import holds at most 1,000 addresses; split the file."
    assert stream.given < 100_000


def test_default_limits():
    rows = read(b"email\n" + b"a@example.com\n" * 100_000)
    assert len(rows) == 100_000
    assert refusal(b"email\n" + b"a@example.com\n" * 100_001).code == "too_many_rows"
    assert refusal(b"email\n" + b"a" * (10 * 1024 * 1024)).code == "too_large"


# --- reading pasted addresses ----------------------------------------------------------


def test_pasted_addresses_one_per_line():
    rows = imports.read_lines("Email\n ada@example.com \n\nnot an email\n")
    assert rows == [ImportRow(2, "ada@example.com"), ImportRow(4, "not an email")]


@pytest.mark.parametrize(
    ("text", "code"), [("", "empty"), (" \n\n", "empty"), ("a@b.c\x00", "not_csv")]
)
def test_pasted_text_that_cannot_be_imported(text, code):
    with pytest.raises(InvalidImportFile) as caught:
        imports.read_lines(text)
    assert caught.value.code == code


def test_pasted_text_limits():
    with pytest.raises(InvalidImportFile, match="at most 3 addresses"):
        imports.read_lines("a@b.c\n" * 4, max_rows=3)
    with pytest.raises(InvalidImportFile, match="at most 10\xa0bytes"):
        imports.read_lines("ada@example.com", max_bytes=10)


# --- judging entries -----------------------------------------------------------------------


@pytest.fixture
def mixed(db, make_invite):
    """Entries with one problem of each kind, and what is wrong with each."""
    make_invite("invited@example.com")
    User.objects.create_user(username="u", email="User@Example.com", password=PASSWORD)
    return [
        {"email": "new@example.com", "metadata": {"team": "a"}},
        {"email": "not an email"},
        {"email": "NEW@example.com"},
        {"email": "INVITED@example.com"},
        {"email": "user@example.com"},
        "plain@example.com",
        {"email": ""},
    ]


def codes(problems) -> list[tuple[int, str, str]]:
    return [(p.index, p.email, p.code) for p in problems]


def test_check_names_every_bad_entry_with_its_code(mixed):
    checked = services.check_import(mixed)
    assert codes(checked.refused) == [
        (1, "not an email", "invalid"),
        (2, "NEW@example.com", "duplicate"),
        (3, "INVITED@example.com", "invite_exists"),
        (4, "user@example.com", "user_exists"),
        (6, "", "invalid"),
    ]
    assert checked.refused[0].message == "“not an email” is not a valid email address."
    assert checked.skipped == []
    assert checked.indexes == [0, 5]
    assert checked.entries == [mixed[0], mixed[5]]


def test_check_with_skip_existing_skips_only_existing(mixed):
    checked = services.check_import(mixed, skip_existing=True)
    assert [p.code for p in checked.refused] == ["invalid", "duplicate", "invalid"]
    assert codes(checked.skipped) == [
        (3, "INVITED@example.com", "invite_exists"),
        (4, "user@example.com", "user_exists"),
    ]


def test_import_refuses_all_or_nothing(mixed):
    with pytest.raises(InvalidImportRows) as caught:
        services.import_invites(mixed, skip_existing=True)
    assert [p.index for p in caught.value.rows] == [1, 2, 6]
    assert caught.value.code == "invalid_rows"
    assert caught.value.message == "Nothing was created: 3 entries cannot be imported."
    assert Invite.objects.count() == 1


def test_import_creates_through_create_invites_and_skips_existing(
    mixed, record, django_capture_on_commit_callbacks
):
    created = record(invite_created)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.import_invites(
            [mixed[0], mixed[3], mixed[4], mixed[5]], skip_existing=True
        )
    assert [i.email for i in result.created] == ["new@example.com", "plain@example.com"]
    assert all(i.token for i in result.created)
    assert codes(result.skipped) == [
        (1, "INVITED@example.com", "invite_exists"),
        (2, "user@example.com", "user_exists"),
    ]
    assert Invite.objects.get(email="new@example.com").metadata == {"team": "a"}
    assert len(created.calls) == 2


def test_import_without_skip_refuses_existing(mixed):
    with pytest.raises(InvalidImportRows) as caught:
        services.import_invites([mixed[0], mixed[3]])
    assert codes(caught.value.rows) == [(1, "INVITED@example.com", "invite_exists")]
    assert not Invite.objects.filter(email="new@example.com").exists()


def test_import_judges_again_when_an_invite_appears_after_the_check(db, monkeypatch):
    real_check = services.check_import
    calls = []

    def check_then_race(entries, **kwargs):
        checked = real_check(entries, **kwargs)
        if not calls:
            services.create_invites(["late@example.com"])  # another admin, just now
        calls.append(1)
        return checked

    # `import_invites` calls the check of its own module.
    monkeypatch.setattr(importing, "check_import", check_then_race)
    result = services.import_invites(["early@example.com", "late@example.com"], skip_existing=True)
    assert [i.email for i in result.created] == ["early@example.com"]
    assert codes(result.skipped) == [(1, "late@example.com", "invite_exists")]
    assert len(calls) == 2


def test_file_rows_and_api_entries_are_judged_alike(db, make_invite):
    make_invite("taken@example.com")
    rows = read(b"email,team\nok@example.com,x\nbad\ntaken@example.com,y\n")
    from_file = services.check_import([row.entry() for row in rows])
    from_api = services.check_import(
        [
            {"email": "ok@example.com", "metadata": {"team": "x"}},
            {"email": "bad"},
            "taken@example.com",
        ]
    )
    assert codes(from_file.refused) == codes(from_api.refused)
    assert [p.message for p in from_file.refused] == [p.message for p in from_api.refused]


@pytest.mark.parametrize(
    "invites",
    [{"IMPORT_MAX_ROWS": 0}, {"IMPORT_MAX_BYTES": "10MB"}, {"IMPORT_MAX_ROWS": True}],
)
def test_bad_limits_are_reported_by_the_checks(settings, invites):
    settings.INVITES = invites
    assert [message.id for message in check_settings()] == ["invites.E012"]


def test_good_limits_pass_the_checks(settings):
    settings.INVITES = {"IMPORT_MAX_ROWS": 5, "IMPORT_MAX_BYTES": 1024}
    assert check_settings() == []


def test_too_many_metadata_columns_are_refused_with_their_count(settings):
    header = "email;" + ";".join(f"c{i}" for i in range(1000))
    error = refusal(f"{header}\na@example.com;{';'.join('x' * 1000)}\n".encode())
    assert error.code == "too_many_columns"
    assert "at most 50 columns" in error.message and "this file has 1000" in error.message
    settings.INVITES = {"IMPORT_MAX_COLUMNS": 1000}
    assert read(f"{header}\na@example.com;{';'.join('x' * 1000)}\n".encode())[0].metadata
