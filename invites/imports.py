"""Reading invite imports: a CSV file or pasted addresses, as numbered rows.

The admin's "Import invites" page and the `import_invites` command read their input
here, then hand the rows to `services.check_import` / `services.import_invites`, which
judge every row the way the bulk API's rows are judged. Reading touches no database.

A CSV file is UTF-8 (a byte order mark is fine), separated by `,` or `;` (whichever the
header row holds more of), with a header row naming an `email` column; every other
named column goes into the invite's metadata (empty cells are left out). Pasted text is
one address per line. Blank lines are skipped; line numbers are the file's own.

Reading streams: it stops at the first byte past `IMPORT_MAX_BYTES` or the first row
past `IMPORT_MAX_ROWS`, so an oversized input costs no more memory than an allowed one.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from invites.conf import invites_settings
from invites.exceptions import InvalidImportFile

if TYPE_CHECKING:
    from invites.models import Invite

# Row codes, as the bulk API names bad rows.
INVALID = "invalid"
DUPLICATE = "duplicate"
INVITE_EXISTS = "invite_exists"
USER_EXISTS = "user_exists"
ALREADY_MEMBER = "already_member"
# Codes that a caller may turn into skips (`skip_existing`); the others always refuse.
EXISTING = frozenset({INVITE_EXISTS, USER_EXISTS, ALREADY_MEMBER})

# How much of a file is looked at to tell text from binary.
SNIFF_BYTES = 4096
DELIMITERS = (",", ";")


@dataclass(frozen=True)
class ImportRow:
    """One row to import: where it was, its email as written, its other columns."""

    line: int
    email: str
    metadata: dict[str, str] | None = None

    def entry(self) -> dict[str, Any]:
        """The row as a `create_invites` entry."""
        return {"email": self.email, "metadata": self.metadata}


@dataclass(frozen=True)
class RowProblem:
    """Why one entry of a call cannot be created: `code` for programs, `message` for people.

    `index` is the entry's position in the call (0-based).
    """

    index: int
    email: str
    code: str
    message: str


@dataclass
class ImportCheck:
    """The verdict on every entry of a call, before anything is written."""

    # Entries to create, as `create_invites` takes them, and their positions in the call.
    entries: list[Any]
    indexes: list[int]
    # Entries that refuse the whole call (invalid, duplicate; existing unless skipped).
    refused: list[RowProblem]
    # Entries left out because `skip_existing` was given.
    skipped: list[RowProblem]


@dataclass
class ImportResult:
    """What an import created, and the entries it skipped (`skip_existing`)."""

    created: list[Invite]
    skipped: list[RowProblem]


# --- CSV ------------------------------------------------------------------------------


def read_csv(
    stream: IO[bytes], *, max_bytes: int | None = None, max_rows: int | None = None
) -> list[ImportRow]:
    """Every row of a CSV file; `InvalidImportFile` when the file cannot be imported."""
    limits = _Limits(max_bytes, max_rows)
    limited = _LimitedReader(stream, limits.max_bytes)
    if b"\x00" in limited.peek(SNIFF_BYTES):
        raise InvalidImportFile("not_csv", _not_csv_message())
    lines = _decoded_lines(io.BufferedReader(limited))
    header = next(lines, "")
    if not header.strip():
        raise InvalidImportFile("empty", _("The file is empty."))
    delimiter = max(DELIMITERS, key=header.count)
    reader = csv.reader(_chain(header, lines), delimiter=delimiter, strict=True)
    rows: list[ImportRow] = []
    start = 1  # the line where the record being read begins (a quoted cell may span lines)
    try:
        email_at, names = _columns(next(reader))
        start = reader.line_num + 1
        for values in reader:
            if any(value.strip() for value in values):
                rows.append(_csv_row(start, values, email_at, names))
                limits.count(len(rows))
            start = reader.line_num + 1
    except csv.Error as error:
        raise InvalidImportFile(
            "not_csv",
            _("Line %(line)d cannot be read as CSV: %(error)s.") % {"line": start, "error": error},
        ) from None
    if not rows:
        raise InvalidImportFile("empty", _("The file has a header row but no addresses."))
    return rows


def _decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, each decoded on its own so that an error names its line."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise InvalidImportFile(
                "not_utf8",
                _("Line %(line)d is not UTF-8 text. Save the file as “CSV UTF-8” and try again.")
                % {"line": number},
            ) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _columns(header: list[str]) -> tuple[int, list[str]]:
    """The position of the `email` column and the name of every column ('' to ignore)."""
    names = [name.strip() for name in header]
    if any("\x00" in name for name in names):
        raise InvalidImportFile("not_csv", _not_csv_message())
    positions = [i for i, name in enumerate(names) if name.casefold() == "email"]
    if not positions:
        raise InvalidImportFile(
            "no_email_column",
            _(
                "The first row must name the columns, one of them “email”. "
                "This file's first row is: %(header)s"
            )
            % {"header": ", ".join(names)[:200]},
        )
    extra = len([name for name in names if name and name.casefold() != "email"])
    limit = invites_settings.IMPORT_MAX_COLUMNS
    if extra > limit:
        raise InvalidImportFile(
            "too_many_columns",
            _(
                "An import has at most %(max)d columns besides “email” (each one is "
                "metadata of every invite); this file has %(count)d."
            )
            % {"max": limit, "count": extra},
        )
    seen: set[str] = set()
    for name in names:
        if name and name.casefold() in seen:
            raise InvalidImportFile(
                "duplicate_column",
                _("The column “%(name)s” appears twice in the first row.") % {"name": name},
            )
        seen.add(name.casefold())
    return positions[0], names


def _csv_row(line: int, values: list[str], email_at: int, names: list[str]) -> ImportRow:
    if any("\x00" in value for value in values):
        raise InvalidImportFile("not_csv", _not_csv_message())
    if len(values) > len(names) and any(value.strip() for value in values[len(names) :]):
        raise InvalidImportFile(
            "not_csv",
            _("Line %(line)d has more values than the first row has columns.") % {"line": line},
        )
    email = values[email_at].strip() if email_at < len(values) else ""
    metadata = {
        name: value
        for name, value in zip(names, values, strict=False)
        if name and value.strip() and name.casefold() != "email"
    }
    return ImportRow(line=line, email=email, metadata=metadata or None)


def _not_csv_message() -> str:
    return _("This is not a CSV file. Export the spreadsheet as “CSV UTF-8” and try again.")


# --- pasted addresses -------------------------------------------------------------------


def read_lines(
    text: str, *, max_bytes: int | None = None, max_rows: int | None = None
) -> list[ImportRow]:
    """One row per non-blank line of pasted text (a first line `email` is a header)."""
    limits = _Limits(max_bytes, max_rows)
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise limits.too_large()
    if "\x00" in text:
        raise InvalidImportFile("not_csv", _("The text holds a NUL character."))
    rows: list[ImportRow] = []
    for line, value in enumerate(text.splitlines(), start=1):
        email = value.strip()
        if not email or (not rows and email.casefold() == "email"):
            continue
        rows.append(ImportRow(line=line, email=email))
        limits.count(len(rows))
    if not rows:
        raise InvalidImportFile("empty", _("No addresses were given."))
    return rows


# --- limits ---------------------------------------------------------------------------


class _Limits:
    def __init__(self, max_bytes: int | None, max_rows: int | None) -> None:
        self.max_bytes = invites_settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
        self.max_rows = invites_settings.IMPORT_MAX_ROWS if max_rows is None else max_rows

    def count(self, rows: int) -> None:
        if rows > self.max_rows:
            raise InvalidImportFile(
                "too_many_rows",
                _("An import holds at most %(max)s addresses; split the file.")
                % {"max": f"{self.max_rows:,}"},
            )

    def too_large(self) -> InvalidImportFile:
        return too_large(self.max_bytes)


def too_large(max_bytes: int | None = None) -> InvalidImportFile:
    """The error for an input over the size limit."""
    limit = invites_settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    return InvalidImportFile(
        "too_large",
        _("An import is at most %(size)s; split the file.") % {"size": filesizeformat(limit)},
    )


class _LimitedReader(io.RawIOBase):
    """A binary stream that raises `too_large` past `max_bytes` instead of reading on."""

    def __init__(self, stream: IO[bytes], max_bytes: int) -> None:
        super().__init__()
        self.stream = stream
        self.max_bytes = max_bytes
        self.read_bytes = 0
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def peek(self, size: int) -> bytes:
        """The next `size` bytes, which later reads still return."""
        if len(self.buffer) < size:
            self.buffer += self._read(size - len(self.buffer))
        return self.buffer[:size]

    def readinto(self, target: Any) -> int:
        wanted = len(target)
        data, self.buffer = self.buffer[:wanted], self.buffer[wanted:]
        if not data:
            data = self._read(wanted)
        target[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        data = self.stream.read(size) or b""
        self.read_bytes += len(data)
        if self.read_bytes > self.max_bytes:
            raise too_large(self.max_bytes)
        return data


def decode(data: bytes) -> str:
    """Bytes of an accepted file as text (for carrying it to a confirmation step)."""
    return codecs.decode(data, "utf-8-sig")
