"""The app's translation catalogs: complete, current with the sources, and compiled.

Refresh them with `make messages`, translate, then `make compilemessages`. The checks
that run gettext's tools (`xgettext`, `msgmerge`, `msgfmt`, Debian's `gettext`
package) are skipped when those are missing, except in CI (`CI=true`), where a
missing tool fails instead.
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.catalogs import (
    APP_DIR,
    LANGUAGES,
    LOCALE_DIR,
    header,
    messages,
    mo_path,
    nplurals,
    parse_po,
    po_path,
)

GETTEXT_TOOLS = ("xgettext", "msgmerge", "msgfmt")


def require_gettext_tools() -> None:
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"gettext tools not installed ({', '.join(missing)}; Debian package `gettext`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: CI must install them")
    pytest.skip(reason)


def django_admin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`django-admin` without settings, as `make messages` runs it (-P: not cwd on the path)."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(  # noqa: S603  (our own interpreter and fixed arguments)
        [sys.executable, "-P", "-m", "django", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def test_every_language_has_a_catalog_and_nothing_else():
    assert sorted(path.name for path in LOCALE_DIR.iterdir()) == sorted(LANGUAGES)
    for language in LANGUAGES:
        assert po_path(language).is_file()
        assert mo_path(language).is_file()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_without_fuzzy_entries(language):
    entries = parse_po(po_path(language))
    assert header(entries)["Language"] == language
    forms = nplurals(entries)

    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        if entry.obsolete:
            problems.append(f"obsolete: {entry.msgid!r}")
    for entry in messages(entries):
        expected = list(range(forms)) if entry.msgid_plural else [0]
        if sorted(entry.msgstr) != expected:
            problems.append(f"plural forms {sorted(entry.msgstr)} != {expected}: {entry.msgid!r}")
        if not all(entry.msgstr.values()):
            problems.append(f"untranslated: {entry.msgid!r}")
    assert not problems, f"{po_path(language)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_placeholders_and_syntax_are_valid(language):
    """`msgfmt --check`: the same %(name)s / {name} placeholders in every form, a sound header."""
    require_gettext_tools()
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "--output-file=/dev/null", str(po_path(language))],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_catalogs_are_up_to_date_with_the_sources(tmp_path):
    """A fresh `makemessages` finds exactly the messages of the committed catalogs."""
    require_gettext_tools()
    app = tmp_path / "invites"
    shutil.copytree(APP_DIR, app, ignore=shutil.ignore_patterns("__pycache__", "locale"))
    (app / "locale").mkdir()
    django_admin("makemessages", "-l", "de", "--no-obsolete", "--add-location", "file", cwd=app)
    fresh = {entry.key for entry in messages(parse_po(app / "locale/de/LC_MESSAGES/django.po"))}

    for language in LANGUAGES:
        committed = {entry.key for entry in messages(parse_po(po_path(language)))}
        assert committed == fresh, (
            f"{po_path(language)} is out of date with the sources: run `make messages`, "
            f"translate, then `make compilemessages`.\n"
            f"new in the sources: {sorted(map(str, fresh - committed))}\n"
            f"gone from the sources: {sorted(map(str, committed - fresh))}"
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_its_po(language):
    """The committed .mo holds exactly the .po's translations: `make compilemessages` ran."""
    entries = parse_po(po_path(language))
    expected: dict[object, str] = {}
    for entry in messages(entries):
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural:
            for index, text in entry.msgstr.items():
                expected[(msgid, index)] = text
        else:
            expected[msgid] = entry.msgstr[0]

    with mo_path(language).open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    catalog = dict(compiled._catalog)  # type: ignore[attr-defined]
    catalog.pop("", None)  # the header

    assert catalog == expected, f"{mo_path(language)} is stale: run `make compilemessages`."
    assert compiled.info()["plural-forms"] == header(entries)["Plural-Forms"]
