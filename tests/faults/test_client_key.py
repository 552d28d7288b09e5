"""Whom the accept rate limit counts as one client: an IPv4 address, an IPv6 /64."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from invites.ratelimit import accept_allowed, client_key
from tests.accept_page.helpers import ACCEPT, open_link

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:0:0:0:FFFF", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # an IPv4 client on a dual-stack socket
        ("", ""),
        ("not-an-address", "not-an-address"),
    ],
)
def test_client_key(address, key):
    assert client_key(address) == key


def from_address(address: str):
    return RequestFactory().post("/api/invites/accept/", REMOTE_ADDR=address)


def test_one_ipv6_network_shares_one_limit(settings):
    settings.INVITES = {"ACCEPT_RATE": "2/minute"}
    assert accept_allowed(from_address("2001:db8:1:2::1"))[0]
    assert accept_allowed(from_address("2001:db8:1:2::2"))[0]
    # A fresh address of the same /64 is the same client...
    assert not accept_allowed(from_address("2001:db8:1:2:ffff::3"))[0]
    # ...and the next /64 is another one.
    assert accept_allowed(from_address("2001:db8:1:3::1"))[0]


def test_the_page_counts_ipv6_per_network_too(settings, pending_invite):
    settings.INVITES = {"ACCEPT_RATE": "1/minute"}
    open_link(Client(REMOTE_ADDR="2001:db8:1:2::1"), "guess-1")

    neighbour = Client(REMOTE_ADDR="2001:db8:1:2::99")
    neighbour.get(ACCEPT, {"token": pending_invite.token})
    assert neighbour.get(ACCEPT).status_code == 429


def test_forwarded_ipv6_addresses_are_counted_per_network(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.INVITES = {"ACCEPT_RATE": "1/minute"}
    proxy = "10.0.0.1"

    def forwarded(address: str):
        return RequestFactory().post(
            "/api/invites/accept/", REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=address
        )

    assert accept_allowed(forwarded("2001:db8:5:6::1"))[0]
    assert not accept_allowed(forwarded("2001:db8:5:6::2"))[0]
    assert accept_allowed(forwarded("2001:db8:5:7::1"))[0]
