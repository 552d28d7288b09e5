"""Drive the demo under gunicorn: one rate limit across workers, no secret in any log.

Run by `.ci/gunicorn_smoke.sh`, which starts gunicorn (DEBUG off, two worker processes,
the demo's default shared cache) and passes the base URL, an admin's API token and the
folder of every log the server writes. This script:

1. creates three invites through the API (the responses carry their raw tokens);
2. from a second client address (127.0.0.2), accepts one on the HTML page (open the
   link, post the form with a password) and one through the API;
3. from 127.0.0.1, follows the third invite's link 20 times within a minute and
   checks that exactly 10 answers are not 429 and that both workers answered;
4. reads every log file: no raw token and no password may appear, and the access log
   must show the link requests with the token redacted.

Prints the figures; exits non-zero on any failed check.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

PASSWORD = "smoke-Correct-Horse-42"  # noqa: S105 (a throwaway user of a throwaway database)
FOLLOWS = 20
EXPECTED_ALLOWED = 10


def fail(message: str) -> None:
    print(f"FAILED: {message}", flush=True)
    raise SystemExit(1)


class Browser:
    """A minimal HTTP client from one source address, keeping cookies, never following."""

    def __init__(self, base_url: str, source: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=30, source_address=(self.source, 0)
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
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, dict(response.headers.items()), data

    def json(self, method: str, path: str, payload: Any, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        status, _headers, data = self.request(method, path, json.dumps(payload).encode(), headers)
        return status, json.loads(data or b"null")


def accept_link_path(token: str) -> str:
    return "/invites/accept/?" + urlencode({"token": token})


def accept_on_the_page(browser: Browser, token: str) -> None:
    status, headers, _body = browser.request("GET", accept_link_path(token))
    if status != 302:
        fail(f"opening the link answered {status}, not 302")
    status, _headers, page = browser.request("GET", urlsplit(headers["Location"]).path)
    # Every hidden field of the form as the page gave it: the CSRF token and the invite
    # the form was shown for.
    hidden = dict(re.findall(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    if status != 200 or b"csrfmiddlewaretoken" not in hidden:
        fail(f"the accept form answered {status} without a CSRF token")
    form = urlencode(
        {
            **{name.decode(): value.decode() for name, value in hidden.items()},
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
    ).encode()
    status, headers, _body = browser.request(
        "POST",
        "/invites/accept/",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    # Signed in by the accept, the new user is sent on (the demo's LOGIN_REDIRECT_URL).
    if status != 302 or not headers.get("Location"):
        fail(f"posting the accept form answered {status} {headers.get('Location')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-token", required=True)
    parser.add_argument("--logs", type=Path, required=True, help="folder of the server's logs")
    parser.add_argument("--server-pids", default="", help="the workers' pids, comma-separated")
    args = parser.parse_args()

    admin = Browser(args.base_url, "127.0.0.1")
    tokens = []
    for number in range(3):
        status, invite = admin.json(
            "POST", "/api/invites/", {"email": f"smoke{number}@example.com"}, args.api_token
        )
        if status != 201:
            fail(f"creating an invite answered {status}: {invite}")
        tokens.append(invite["token"])
    print("created 3 invites through the API")

    elsewhere = Browser(args.base_url, "127.0.0.2")
    accept_on_the_page(elsewhere, tokens[0])
    status, body = elsewhere.json(
        "POST", "/api/invites/accept/", {"token": tokens[1], "password": PASSWORD}
    )
    if status != 201:
        fail(f"accepting through the API answered {status}: {body}")
    print("accepted one invite on the page and one through the API (from 127.0.0.2)")

    follower = Browser(args.base_url, "127.0.0.1")
    started = time.monotonic()
    statuses = []
    for _ in range(FOLLOWS):
        follower.cookies.clear()
        status, headers, _body = follower.request("GET", accept_link_path(tokens[2]))
        if status == 302:
            # The page moves the token out of the address bar first, then answers (429
            # over the limit) at the bare URL.
            status, _headers, _body = follower.request("GET", urlsplit(headers["Location"]).path)
        statuses.append(status)
    elapsed = time.monotonic() - started
    allowed = sum(status != 429 for status in statuses)
    print(
        f"followed one accept link {FOLLOWS} times in {elapsed:.1f}s from 127.0.0.1: "
        f"{allowed} answers not 429 ({', '.join(map(str, statuses))})"
    )
    if elapsed >= 60:
        fail("the follows took a minute or more")
    if allowed != EXPECTED_ALLOWED:
        fail(f"{allowed} answers were not 429; the limit of {EXPECTED_ALLOWED} must hold")

    access_log = (args.logs / "access.log").read_text()
    link_lines = [line for line in access_log.splitlines() if "GET /invites/accept/?" in line]
    workers = set(re.findall(r"pid=<?(\d+)", "\n".join(link_lines)))
    print(f"access log: {len(link_lines)} link requests, answered by {len(workers)} workers")
    if len(workers) < 2:
        fail("only one worker process answered: the limit was not tested across processes")
    if not all("token=********" in line for line in link_lines):
        fail("a link request line does not show the token redacted")

    secrets = {f"token {number}": token for number, token in enumerate(tokens)}
    secrets["password"] = PASSWORD
    files = sorted(path for path in args.logs.iterdir() if path.is_file())
    found = 0
    for path in files:
        text = path.read_text(errors="replace")
        for name, secret in secrets.items():
            if secret in text:
                found += 1
                print(f"  {path.name}: holds {name}")
    print(
        f"grepped {len(files)} logs ({', '.join(path.name for path in files)}) for "
        f"{len(tokens)} raw tokens and the password: {found} found"
    )
    if found:
        fail("a secret reached a log")
    print("gunicorn smoke run passed")


if __name__ == "__main__":
    sys.exit(main())
