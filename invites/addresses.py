"""Email addresses as the app judges them: which are refused, and which are one mailbox.

An address enters through `create_invites` and `check_creatable`, the imports, the
API's serializers and the admin's forms; each of them runs `validate_address`, so an
address that renders like another one but is not it never becomes an invite:

- characters of Unicode category Cf (zero-width space, soft hyphen, bidi controls) are
  invisible: `zw@exa\u200bmple.com` looks like `zw@example.com` and is delivered there
  by mail systems that drop them;
- control characters (category Cc: ESC, BEL, NUL, line breaks) have no place in an
  address and rewrite a terminal that prints them;
- an RFC 2047 encoded word (`=?utf-8?q?...?=`) is decoded by some mail software into
  another address than the one stored.

`email_key` is the form under which two addresses count as the same mailbox: the whole
address NFKC-normalised and casefolded, its domain then written in its IDNA (ASCII,
punycode) form, so `x@ex\u0430mple.com` (a Cyrillic "a") and `x@xn--exmple-4nf.com` are one
key.
"""

from __future__ import annotations

import re
import unicodedata
from encodings import idna
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# An RFC 2047 encoded word: `=?charset?encoding?text?=` (charset may carry `*language`).
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bq]\?[^?\s]*\?=", re.IGNORECASE)
# What IDNA counts as a dot between labels (after NFKC only U+3002 remains besides ".").
LABEL_DOTS = re.compile("[.\u3002\uff0e\uff61]")
# The prefix of a label in punycode (an IDNA "A-label").
ACE_PREFIX = "xn--"


def _is_hidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf")


def validate_address(value: Any) -> None:
    """`ValidationError` (code `invalid`) for an address with invisible, control or
    encoded-word parts; the syntax itself is the email validator's to judge."""
    if not isinstance(value, str):
        return
    if any(_is_hidden(char) for char in value):
        raise ValidationError(
            _("“%(value)s” contains invisible or control characters; type the address again."),
            code="invalid",
            params={"value": printable(value)},
        )
    if ENCODED_WORD.search(value):
        raise ValidationError(
            _("“%(value)s” contains an encoded word (=?…?=); give the address as it is."),
            code="invalid",
            params={"value": value},
        )


def printable(value: str) -> str:
    """`value` with every control, format and other non-printing character escaped as
    Python writes it (`\\x1b`, `\\u200b`), safe to print on a terminal or in a log."""
    if value.isprintable():
        return value
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in value)


def email_key(email: str) -> str:
    """The form under which two emails count as the same: NFKC, then casefold, then the
    domain in its IDNA (ASCII) form."""
    key = unicodedata.normalize("NFKC", email).casefold()
    local, at, domain = key.rpartition("@")
    if not at:
        return key
    return f"{local}@{idna_domain(domain)}"


def idna_domain(domain: str) -> str:
    """`domain` (already casefolded) with each label in its ASCII form.

    A Unicode label is encoded (IDNA 2003's nameprep, then punycode, as Python's `idna`
    codec does); a punycode label is decoded and encoded again, so any spelling of one
    name gives one label. A label the codec refuses (too long, prohibited characters,
    broken punycode) is kept as it is: it names no domain that DNS can reach, so it can
    be no other spelling's mailbox either.
    """
    return ".".join(_ascii_label(label) for label in LABEL_DOTS.split(domain))


def _ascii_label(label: str) -> str:
    try:
        if label.isascii():
            if not label.startswith(ACE_PREFIX):
                return label
            label = unicodedata.normalize("NFKC", idna.ToUnicode(label)).casefold()
        return idna.ToASCII(label).decode("ascii")
    except UnicodeError:
        return label
