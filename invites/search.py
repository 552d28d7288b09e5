"""The invite lists' email search, shared by the admin's search box and the API's `search`.

Each term narrows the list (all terms must match):

- `@example.com` is everyone at exactly that domain (not its subdomains);
- any other term is a prefix of the email (`ada`, `ada@exa`);
- a term that looks like a domain (a dot and no `@`: `example.com`) is both: everyone
  at that domain, and the emails that start with it (`ada.lovelace` still finds
  `ada.lovelace@example.com`).

Terms are compared as emails are (NFKC, then casefold: `email_key`), and each is served
by an index: a substring search, which no index can serve, is not offered.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections
from django.db.models import Q, QuerySet

from invites.models import Invite, email_key

# Above every character in UTF-8's (and so SQLite's binary) order.
AFTER_ALL = "\U0010ffff"


def search_terms(text: str) -> list[str]:
    """The terms of a search text: split on whitespace and commas, as DRF and the admin do."""
    return [term for term in text.replace(",", " ").split() if term]


def looks_like_domain(term: str) -> bool:
    """A dot and no `@`: `example.com`, but also the start of `ada.lovelace@...`."""
    return "." in term and "@" not in term


def term_filter(term: str, *, using: str) -> Q:
    """The invites one term matches: a domain, exactly, or a prefix of the email."""
    key = email_key(term)
    if key.startswith("@") and len(key) > 1:
        return Q(email_domain=key[1:])
    if looks_like_domain(key):
        return Q(email_domain=key) | prefix_filter(key, using=using)
    return prefix_filter(key, using=using)


def prefix_filter(key: str, *, using: str) -> Q:
    """The invites whose `email_key` starts with `key`."""
    if connections[using].vendor == "postgresql":
        # LIKE 'key%' (escaped), served by the index's pattern operator class.
        return Q(email_key__startswith=key)
    # SQLite's LIKE ignores case and uses no index; a range in binary order does.
    return Q(email_key__gte=key, email_key__lt=key + AFTER_ALL)


def search_invites(queryset: QuerySet[Invite], terms: Iterable[str]) -> QuerySet[Invite]:
    """`queryset` narrowed to the invites that every one of `terms` matches."""
    for term in terms:
        queryset = queryset.filter(term_filter(term, using=queryset.db))
    return queryset
