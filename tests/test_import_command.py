"""`manage.py import_invites PATH [--skip-existing] [--dry-run]`."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connections
from django.utils import translation

from invites.models import Invite
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def in_english():
    """Messages (and the numbers in them) as English readers see them, whatever ran before."""
    with translation.override("en-us"):
        yield


def run(*args: str, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_invites", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def refused(*args: str, **options) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_invites", *args, stdout=io.StringIO(), stderr=err, **options)
    return str(caught.value), err.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    def write(data: bytes | str, name: str = "team.csv") -> str:
        path = tmp_path / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(path)

    return write


def test_creates_the_invites_with_metadata(csv_file):
    path = csv_file("\ufeffemail;team\nada@example.com;research\ngrace@example.com;\n")
    out, err = run(path)
    assert out.strip() == "Created 2 invites."
    assert err == ""  # no progress off a terminal at the default verbosity
    assert Invite.objects.get(email="ada@example.com").metadata == {"team": "research"}
    assert Invite.objects.get(email="grace@example.com").invited_by is None


def test_bad_rows_by_line_number_and_nothing_created(csv_file, make_invite):
    make_invite("taken@example.com")
    User.objects.create_user(username="u", email="user@example.com", password=PASSWORD)
    path = csv_file(
        "email\nok@example.com\nnope\n\nOK@example.com\ntaken@example.com\nuser@example.com\n"
    )
    message, err = refused(path, skip_existing=False)
    assert message == "Nothing was created: 4 rows cannot be imported."
    assert err.splitlines() == [
        "line 3: nope: invalid: “nope” is not a valid email address.",
        "line 5: OK@example.com: duplicate: This email appears earlier in the same import.",
        "line 6: taken@example.com: invite_exists: An invite already exists for this email.",
        "line 7: user@example.com: user_exists: A user already exists with this email.",
    ]
    assert Invite.objects.count() == 1


def test_skip_existing(csv_file, make_invite):
    make_invite("taken@example.com")
    User.objects.create_user(username="u", email="user@example.com", password=PASSWORD)
    path = csv_file("email\nnew@example.com\ntaken@example.com\nuser@example.com\n")
    out, err = run(path, "--skip-existing", verbosity=2)
    assert out.strip() == "Created 1 invite. Skipped 2 (invite exists: 1, user exists: 1)."
    assert "line 3: taken@example.com: invite_exists" in err
    assert "Read 3 rows." in err  # progress, at verbosity 2
    assert Invite.objects.count() == 2


def test_dry_run_changes_nothing(csv_file, make_invite):
    make_invite("taken@example.com")
    path = csv_file("email\nnew@example.com\ntaken@example.com\n")
    out, _err = run(path, "--dry-run", "--skip-existing")
    assert out.strip() == (
        "Would create 1 invite (dry run, nothing changed). "
        "Skipped 1 (invite exists: 1, user exists: 0)."
    )
    message, err = refused(path, "--dry-run")
    assert message == "Nothing was created: 1 row cannot be imported."
    assert "line 3: taken@example.com: invite_exists" in err
    assert Invite.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file."),
        ("email\nbé@example.com\n".encode("latin-1"), "Line 2 is not UTF-8 text."),
        (b"name\nAda\n", "one of them “email”"),
        (b"email\n" + b"a@example.com\n" * 11, "An import holds at most 10 addresses"),
    ],
)
def test_files_that_cannot_be_imported(csv_file, settings, data, message):
    settings.INVITES = {"IMPORT_MAX_ROWS": 10}
    path = csv_file(data)
    error, _err = refused(path)
    assert error.startswith(f"{path}: ")
    assert message in error
    assert not Invite.objects.exists()


def test_a_file_over_the_size_limit_is_refused_unread(csv_file, settings, monkeypatch):
    settings.INVITES = {"IMPORT_MAX_BYTES": 100}
    monkeypatch.setattr("invites.imports.read_csv", lambda *a, **k: pytest.fail("was read"))
    error, _err = refused(csv_file(b"email\n" + b"a@example.com\n" * 10))
    assert error.endswith("An import is at most 100\xa0bytes; split the file.")


def test_a_missing_file(tmp_path):
    error, _err = refused(str(tmp_path / "nope.csv"))
    assert error == f"{tmp_path / 'nope.csv'} cannot be read: No such file or directory"


def test_exit_status_and_streams_for_scripts(csv_file, capsys, monkeypatch):
    """Run as cron would: stdout has the summary, stderr the bad rows, the status says it."""
    # `run_from_argv` closes every connection when done, the test's own included.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    good = csv_file("email\nada@example.com\n", "good.csv")
    bad = csv_file("email\nnope\n", "bad.csv")
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_invites", bad]).execute()
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "line 2: nope: invalid: “nope” is not a valid email address.",
        "CommandError: Nothing was created: 1 row cannot be imported.",
    ]
    ManagementUtility(["manage.py", "import_invites", good]).execute()  # no SystemExit
    out, err = capsys.readouterr()
    assert (out, err) == ("Created 1 invite.\n", "")


def test_reads_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"email\nada@example.com\n")))
    out, _err = run("-")
    assert out.strip() == "Created 1 invite."
    assert Invite.objects.filter(email="ada@example.com").exists()


def test_a_million_rows_stop_at_the_row_limit(tmp_path):
    """The default limits: reading stops at row 100,001 of 1,000,000; nothing is created."""
    path = tmp_path / "million.csv"
    with path.open("wb") as stream:
        stream.write(b"email\n")
        for _ in range(1000):
            stream.write(b"a@b.co\n" * 1000)
    error, _err = refused(str(path))
    assert error == f"{path}: An import holds at most 100,000 addresses; split the file."
    assert not Invite.objects.exists()


def test_fifty_megabytes_are_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with path.open("wb") as stream:
        stream.write(b"email\n")
        stream.truncate(50 * 1024 * 1024)  # a sparse file: 50 MB on paper
    monkeypatch.setattr("invites.imports.read_csv", lambda *a, **k: pytest.fail("was read"))
    error, _err = refused(str(path))
    assert error == f"{path}: An import is at most 10.0\xa0MB; split the file."
