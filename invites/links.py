"""Absolute links the app hands out: the accept link in emails, the sign-in link.

Every emailed link is built on the project's `SITE_URL`, never on a request's Host
header (which a client chooses). The app has no default for `SITE_URL`: building a
link without it raises `ImproperlyConfigured`, and `manage.py check` reports it first
(`invites.E008` with emails on and `DEBUG` off, `invites.W002` otherwise).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import global_settings, settings
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, resolve, reverse

from invites.conf import invites_settings

ACCEPT_URL_NAME = "invites:accept"


def site_url() -> str:
    """`settings.SITE_URL` without its trailing slash; `ImproperlyConfigured` when unset."""
    value = invites_settings.SITE_URL
    if not value:
        raise ImproperlyConfigured(
            "settings.SITE_URL is not set, so the app cannot build the absolute links it "
            "emails. Set it to the address the site is served at, e.g. "
            "'https://app.example.com'."
        )
    return value.rstrip("/")


def absolute_url(path: str) -> str:
    """`path` on `SITE_URL`; a URL that already has a scheme is returned as it is."""
    if urlsplit(path).scheme:
        return path
    return f"{site_url()}/{path.lstrip('/')}"


def app_path(viewname: str) -> str:
    """The path of one of the project's URLs, without the script prefix of this process.

    `SITE_URL` already names where the project is served (its path included), and a
    link built in a worker must not differ from one built in a request.
    """
    path = reverse(viewname)
    prefix = get_script_prefix()
    return path[len(prefix) :] if path.startswith(prefix) else path


def accept_url(token: str) -> str:
    """The absolute accept link: `INVITES["ACCEPT_URL"]`, or the app's own accept page."""
    template = invites_settings.ACCEPT_URL
    if template is None:
        # reverse() finds the page wherever the project mounts `invites.urls`.
        return absolute_url(f"{app_path(ACCEPT_URL_NAME)}?{urlencode({'token': token})}")
    return absolute_url(template.replace("{token}", token))


def accept_page_is_mounted() -> bool:
    """Whether the project's URLconf has the app's accept page (`invites:accept`)."""
    try:
        reverse(ACCEPT_URL_NAME)
    except NoReverseMatch:
        return False
    return True


def login_url() -> str | None:
    """`settings.LOGIN_URL` where it leads somewhere, else None (no sign-in link is shown).

    A URL name must reverse. An explicit path or URL the project set is trusted: it may
    be served outside Django. Django's default, `/accounts/login/`, is offered only when
    the project routes it.
    """
    value = str(settings.LOGIN_URL)
    if "/" not in value:
        try:
            return reverse(value)
        except NoReverseMatch:
            return None
    if value != global_settings.LOGIN_URL:
        return resolve_url(value)
    try:
        resolve(value)
    except Resolver404:
        return None
    return value
