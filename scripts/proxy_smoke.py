"""Drive the demo behind nginx over HTTPS: per-client limits, Secure cookies, static, slow clients.

Run by `.ci/proxy_smoke.sh`, which starts gunicorn (2 threaded workers, NUM_PROXIES=1,
SECURE_PROXY_SSL=true) and nginx in front of it (TLS, X-Forwarded-For and
X-Forwarded-Proto set), and passes both addresses, the certificate, an admin's API
token and password. This script checks:

1. two clients (source addresses 127.0.0.2 and 127.0.0.3, which nginx puts in
   X-Forwarded-For) have separate accept limits: the first's 11th look-up is a 429, the
   second's first is not, and a forged X-Forwarded-For does not get the first out;
2. the CSRF and session cookies are `Secure`, and plain HTTP is redirected to HTTPS;
3. the admin's stylesheet is served (WhiteNoise);
4. a load balancer's probe of `/healthz`, plain HTTP to gunicorn by its address, is a
   200 (not the redirect or the Host check's 400 that every other page gives it);
5. with two half-open connections to gunicorn and two to nginx, a normal request
   through nginx and one to gunicorn each answer within a second.

Prints the figures; exits non-zero on any failed check.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import ssl
import sys
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

LIMIT = 10
SLOW_CLIENTS = 2
MAX_WAIT = 1.0


def fail(message: str) -> None:
    print(f"FAILED: {message}", flush=True)
    raise SystemExit(1)


def split(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host, int(port)


class Client:
    """HTTPS through the proxy from one source address, keeping cookies, never following."""

    def __init__(
        self, proxy: str, context: ssl.SSLContext, source: str, timeout: float = 30
    ) -> None:
        self.host, self.port = split(proxy)
        self.timeout = timeout
        self.context = context
        self.source = source
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPSConnection(
            self.host,
            self.port,
            timeout=self.timeout,
            source_address=(self.source, 0),
            context=self.context,
        )
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, dict(response.headers.items()), data

    def follow_link(self, token: str, headers: dict[str, str] | None = None) -> int:
        """Open an accept link as a browser does: the page moves the token out of the URL."""
        self.cookies.clear()
        path = "/invites/accept/?" + urlencode({"token": token})
        status, response_headers, _body = self.request("GET", path, headers=headers)
        if status == 302:
            location = urlsplit(response_headers["Location"]).path
            status, _headers, _body = self.request("GET", location, headers=headers)
        return status


def create_invite(client: Client, api_token: str, email: str) -> str:
    body = json.dumps({"email": email}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {api_token}"}
    status, _headers, data = client.request("POST", "/api/invites/", body, headers)
    if status != 201:
        fail(f"creating an invite through nginx answered {status}: {data[:300]!r}")
    token: str = json.loads(data)["token"]
    return token


def check_separate_limits(proxy: str, context: ssl.SSLContext, api_token: str) -> None:
    admin = Client(proxy, context, "127.0.0.1")
    token = create_invite(admin, api_token, "proxy-smoke@example.com")
    first = Client(proxy, context, "127.0.0.2")
    statuses = [first.follow_link(token) for _ in range(LIMIT + 1)]
    print(f"127.0.0.2 followed one link {LIMIT + 1} times: {', '.join(map(str, statuses))}")
    if any(status == 429 for status in statuses[:LIMIT]) or statuses[LIMIT] != 429:
        fail(f"the first {LIMIT} look-ups must pass and the next answer 429")
    forged = first.follow_link(token, {"X-Forwarded-For": "203.0.113.9"})
    print(f"127.0.0.2 with a forged X-Forwarded-For: {forged}")
    if forged != 429:
        fail("a forged X-Forwarded-For escaped the limit")
    second = Client(proxy, context, "127.0.0.3").follow_link(token)
    print(f"127.0.0.3 then followed it: {second}")
    if second == 429:
        fail("the second client shares the first one's limit: every client is one bucket")


def check_secure_cookies(
    proxy: str, app: str, context: ssl.SSLContext, admin: str, password: str
) -> None:
    client = Client(proxy, context, "127.0.0.4")
    status, _headers, page = client.request("GET", "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match:
        fail(f"the sign-in page answered {status} without a CSRF token")
    origin = f"https://{proxy}"
    form = urlencode(
        {"csrfmiddlewaretoken": match.group(1).decode(), "username": admin, "password": password}
    ).encode()
    status, _headers, _body = client.request(
        "POST",
        "/accounts/login/",
        form,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
        },
    )
    if status != 302:
        fail(f"signing in over HTTPS answered {status}, not 302")
    cookies = {
        name: morsel["secure"]
        for header in client.set_cookies
        for name, morsel in SimpleCookie(header).items()
    }
    print(f"cookies set over HTTPS (name: Secure): {cookies}")
    if set(cookies) < {"csrftoken", "sessionid"} or not all(cookies.values()):
        fail("csrftoken and sessionid must both be set, and Secure")
    host, port = split(app)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", "/accounts/login/", headers={"Host": host})
    response = connection.getresponse()
    connection.close()
    print(f"plain HTTP to gunicorn: {response.status} to {response.getheader('Location')}")
    if response.status != 301 or not (response.getheader("Location") or "").startswith("https:"):
        fail("plain HTTP is not redirected to HTTPS")


def check_static(proxy: str, context: ssl.SSLContext) -> None:
    status, headers, body = Client(proxy, context, "127.0.0.1").request(
        "GET", "/static/admin/css/base.css"
    )
    print(f"/static/admin/css/base.css: {status} {headers.get('Content-Type')}, {len(body)} bytes")
    if status != 200 or not headers.get("Content-Type", "").startswith("text/css"):
        fail("the admin's stylesheet is not served")


def check_health(app: str) -> None:
    host, port = split(app)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", "/healthz", headers={"Host": "10.0.0.7"})
    response = connection.getresponse()
    body = response.read().decode().strip()
    connection.close()
    print(f"/healthz, plain HTTP to gunicorn as 10.0.0.7: {response.status} {body}")
    if response.status != 200 or body != "ok":
        fail("the health check does not answer a load balancer's probe")


def half_open(address: str, context: ssl.SSLContext | None) -> socket.socket:
    """A connection that starts a request and never finishes it."""
    sock: socket.socket = socket.create_connection(split(address), timeout=10)
    if context is not None:
        sock = context.wrap_socket(sock, server_hostname=split(address)[0])
    sock.sendall(b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def timed(action: Any) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def check_slow_clients(proxy: str, app: str, context: ssl.SSLContext) -> None:
    slow = [half_open(app, None) for _ in range(SLOW_CLIENTS)]
    slow += [half_open(proxy, context) for _ in range(SLOW_CLIENTS)]
    time.sleep(0.5)  # the servers have taken the connections
    host, port = split(app)

    def direct() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=MAX_WAIT * 5)
        connection.request("GET", "/", headers={"Host": host})
        connection.getresponse().read()
        connection.close()

    def proxied() -> None:
        client = Client(proxy, context, "127.0.0.5", timeout=MAX_WAIT * 5)
        client.request("GET", "/")

    try:
        waits = {"through nginx": timed(proxied), "to gunicorn": timed(direct)}
    except OSError as error:
        fail(f"a normal request failed beside the slow clients: {error!r}")
    finally:
        for sock in slow:
            sock.close()
    print(
        f"with {SLOW_CLIENTS} half-open connections to gunicorn and {SLOW_CLIENTS} to nginx: "
        + ", ".join(f"a request {name} took {wait:.3f}s" for name, wait in waits.items())
    )
    if max(waits.values()) > MAX_WAIT:
        fail(f"slow clients held a normal request up for more than {MAX_WAIT}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxy", required=True, help="nginx's host:port (HTTPS)")
    parser.add_argument("--app", required=True, help="gunicorn's host:port (plain HTTP)")
    parser.add_argument("--ca", required=True, help="nginx's self-signed certificate")
    parser.add_argument("--api-token", required=True)
    parser.add_argument("--admin", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca)

    check_separate_limits(args.proxy, context, args.api_token)
    check_secure_cookies(args.proxy, args.app, context, args.admin, args.password)
    check_static(args.proxy, context)
    check_health(args.app)
    check_slow_clients(args.proxy, args.app, context)
    print("proxy smoke run passed")


if __name__ == "__main__":
    sys.exit(main())
