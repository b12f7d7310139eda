"""Fetching the addresses the archive cites, politely, and saying what came back.

One `Fetcher` serves a command run: one httpx client (thread-safe, its connections reused),
a User-Agent that names the archive and whom to write to, a timeout for each step and a
deadline for the whole answer, redirects followed one by one (each hop is kept, for the WARC
file and to tell a loop), at most `per_host` requests a second to any one host whatever the
concurrency, and bodies read only up to `max_bytes`.

`classify()` turns what came back into a link status: live, gone (404, 410), withheld (451),
blocked (401, 403, 429), moved (redirected: the target is kept, and the status is the
target's if it is not live), error (any other HTTP error), unreachable (DNS, refused, reset,
TLS, a timeout, a redirect loop or too many redirects).
"""

import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.utils import timezone

from .models import LinkCheck

Status = LinkCheck.Status

# What a program that fetches on the archive's behalf says it is.
SOFTWARE = "LockdownSolidarityArchive/1.0"


def user_agent(command):
    contact = f"; {settings.CAPTURE_CONTACT}" if settings.CAPTURE_CONTACT else ""
    return f"{SOFTWARE} ({command}; preserving cited posts{contact})"


@dataclass
class Hop:
    """One request and its answer."""

    url: str
    request_headers: list
    status: int
    reason: str
    http_version: str
    headers: list  # [(name, value)] as received
    body: bytes = b""
    truncated: bool = False

    def header(self, name):
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), "")

    @property
    def media_type(self):
        return self.header("content-type").split(";")[0].strip().lower()


@dataclass
class Outcome:
    """What fetching one address gave: the hops (the last is the final answer, if any), the
    link status, and the time it was asked."""

    url: str
    asked_at: object
    hops: list = field(default_factory=list)
    status: str = Status.UNREACHABLE
    http_status: int | None = None
    moved_to: str = ""
    detail: str = ""

    @property
    def final(self):
        return self.hops[-1] if self.hops else None

    @property
    def captured(self):
        """Whether there is something to keep: a final answer of 200 to 299."""
        return self.final is not None and 200 <= self.final.status < 300


class Politeness:
    """At most one request to a host every `interval` seconds, across threads: each request
    reserves the host's next free moment, then waits for it."""

    def __init__(self, interval):
        self.interval = interval
        self.lock = threading.Lock()
        self.next_at = {}

    def wait(self, host):
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_at.get(host, now))
            self.next_at[host] = at + self.interval
        if at > now:
            time.sleep(at - now)


class Fetcher:
    def __init__(
        self,
        command,
        *,
        timeout=20.0,
        max_redirects=5,
        per_host=1.0,
        max_bytes=100 * 1024 * 1024,
        read_body=True,
        verify=True,
    ):
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self.read_body = read_body
        self.politeness = Politeness(1 / per_host if per_host else 0)
        self.client = httpx.Client(
            headers={"User-Agent": user_agent(command), "Accept": "*/*"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            # The archive asks the address it cites, not through whatever proxy the
            # environment names; the machine's own certificates decide what TLS trusts.
            trust_env=False,
            verify=verify,
        )

    def close(self):
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fetch(self, url):
        """Ask `url`, following redirects; never raises for what the network does."""
        outcome = Outcome(url=url, asked_at=timezone.now())
        deadline = time.monotonic() + self.timeout
        seen = [url]
        current = url
        try:
            while True:
                hop = self._ask(current, deadline)
                outcome.hops.append(hop)
                location = hop.header("location")
                if hop.status not in (301, 302, 303, 307, 308) or not location:
                    break
                target = urljoin(current, location)
                if target in seen:
                    return classify(outcome, failure="redirect loop: " + " → ".join(seen))
                if len(seen) > self.max_redirects:
                    return classify(outcome, failure=f"more than {self.max_redirects} redirects")
                if urlsplit(target).scheme not in ("http", "https"):
                    return classify(outcome, failure=f"redirected to a non-web address {target}")
                seen.append(target)
                current = target
        except httpx.TimeoutException:
            return classify(outcome, failure=f"timed out after {self.timeout:g} s")
        except DeadlineExceeded:
            return classify(outcome, failure=f"timed out after {self.timeout:g} s")
        except httpx.ConnectError as error:
            return classify(outcome, failure=describe_connect_error(error))
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            return classify(outcome, failure=f"connection broken: {error or 'closed'}")
        except httpx.HTTPError as error:
            return classify(outcome, failure=f"{type(error).__name__}: {error}")
        return classify(outcome)

    def _ask(self, url, deadline):
        self.politeness.wait(urlsplit(url).hostname or "")
        if time.monotonic() > deadline:
            raise DeadlineExceeded
        request = self.client.build_request("GET", url)
        response = self.client.send(request, stream=True)
        try:
            chunks, size, truncated = [], 0, False
            if self.read_body:
                for chunk in response.iter_raw():
                    if time.monotonic() > deadline:
                        raise DeadlineExceeded
                    size += len(chunk)
                    if size > self.max_bytes:
                        chunks.append(chunk[: len(chunk) - (size - self.max_bytes)])
                        truncated = True
                        break
                    chunks.append(chunk)
        finally:
            response.close()
        return Hop(
            url=url,
            request_headers=list(request.headers.items()),
            status=response.status_code,
            reason=response.reason_phrase,
            http_version=response.http_version,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
            body=b"".join(chunks),
            truncated=truncated,
        )


class DeadlineExceeded(Exception):
    pass


def describe_connect_error(error):
    cause = error.__context__ or error.__cause__
    text = str(error) or type(cause).__name__
    if isinstance(cause, ssl.SSLError) or "SSL" in text or "certificate" in text:
        return f"TLS: {text}"
    if "Name or service not known" in text or "getaddrinfo" in text or "nodename" in text:
        return f"DNS: {text}"
    return f"could not connect: {text}"


def classify(outcome, failure=""):
    """Set the outcome's status from its final answer, or from the failure that stopped it."""
    final = outcome.final
    if len(outcome.hops) > 1:
        outcome.moved_to = final.url if not failure else outcome.hops[-1].url
    if failure:
        outcome.status = Status.UNREACHABLE
        outcome.detail = failure[:500]
        outcome.http_status = final.status if final else None
        return outcome
    code = final.status
    outcome.http_status = code
    if 200 <= code < 300:
        outcome.status = Status.MOVED if outcome.moved_to else Status.LIVE
    elif code in (404, 410):
        outcome.status = Status.GONE
    elif code == 451:
        outcome.status = Status.WITHHELD
    elif code in (401, 403, 429):
        outcome.status = Status.BLOCKED
        if retry := final.header("retry-after"):
            outcome.detail = f"Retry-After: {retry}"
    else:
        outcome.status = Status.ERROR
    if final.truncated:
        outcome.detail = f"larger than {len(final.body):,} bytes: kept that much"
    return outcome
