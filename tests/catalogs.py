"""Reading the app's gettext catalogs (`invites/locale/<lang>/LC_MESSAGES/django.po`).

A small `.po` reader, so the checks need no third-party package: it understands what
`makemessages` writes (flags, `msgctxt`, plurals, obsolete `#~` entries).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import invites

APP_DIR = Path(invites.__file__).resolve().parent
LOCALE_DIR = APP_DIR / "locale"
LANGUAGES = ("de", "fr", "es")

# %(name)s, %(count)d, %s, %r and {name}: the parts of a msgid that are not literal text.
PLACEHOLDER = re.compile(r"%\([^)]*\)[a-z]|%[a-z]|\{[^{}]*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        """What identifies a message: its context, its msgid and its plural msgid."""
        return (self.msgctxt, self.msgid, self.msgid_plural)


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def parse_po(path: Path) -> list[Entry]:
    """Every entry of a `.po` file, the header (msgid "") first."""
    entries: list[Entry] = []
    entry = Entry()
    started = False
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        elif line.startswith("#"):
            continue
        if line.startswith('"'):
            if target is None:
                raise ValueError(f"{path}: text outside an entry: {raw!r}")
            append(entry, target, unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        started = True
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            target = ("msgstr", int(match[1]))
        elif keyword in ("msgid", "msgid_plural", "msgctxt", "msgstr"):
            target = (keyword, 0)
        else:
            raise ValueError(f"{path}: unknown line: {raw!r}")
        set_text(entry, target, unquote(rest.strip()))
    finish()
    return entries


def unquote(text: str) -> str:
    """A quoted `.po` string as text; its escapes (\\n, \\", \\\\) are Python's too."""
    value = ast.literal_eval(text)
    if not isinstance(value, str):
        raise ValueError(f"not a string: {text!r}")
    return value


def set_text(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = text
    else:
        setattr(entry, name, text)


def append(entry: Entry, target: tuple[str, int], text: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += text
    else:
        setattr(entry, name, (getattr(entry, name) or "") + text)


def header(entries: list[Entry]) -> dict[str, str]:
    """The header entry's fields (`Language`, `Plural-Forms`...)."""
    [first] = [entry for entry in entries if entry.msgid == "" and entry.msgctxt is None]
    fields = {}
    for line in first.msgstr[0].splitlines():
        name, _, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def messages(entries: list[Entry]) -> list[Entry]:
    """The real messages: not the header, not obsolete."""
    return [entry for entry in entries if entry.msgid and not entry.obsolete]


def nplurals(entries: list[Entry]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header(entries)["Plural-Forms"])
    assert match, "the header has no Plural-Forms"
    return int(match[1])


def english_phrases(language: str, min_words: int = 4) -> set[str]:
    """The app's English texts that `language` translates differently, as phrases.

    Each msgid is cut at its placeholders, and the pieces of at least `min_words`
    words are kept (whitespace collapsed): any of them in a rendered page means a
    string of the app was left in English.
    """
    phrases = set()
    for entry in messages(parse_po(po_path(language))):
        translations = set(entry.msgstr.values())
        for english in filter(None, (entry.msgid, entry.msgid_plural)):
            if english in translations:
                continue
            for piece in PLACEHOLDER.split(english):
                piece = " ".join(piece.split()).strip(" ,.;:()")
                if len(piece.split()) >= min_words:
                    phrases.add(piece)
    return phrases
