"""Capturing posts (`manage.py capture_posts`) and checking links (`manage.py check_links`).

Both fetch in a few threads (`concurrency`) through one polite `Fetcher`, and write to the
database in the calling thread only, one address at a time in its own transaction: an
interrupted run leaves whole captures and checks, never half of one. Neither ever replaces,
alters or deletes a copy or a check; each run adds.

A capture of an address that answers 200 to 299 is a WARC file of the exchange (the
redirects included), and, for a media link whose answer is a picture or a video the archive
can read, the picture or video itself as well. Every fetch is also a link check
(`checked_by` names the command). An address already captured is skipped unless `again`.
"""

import itertools
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.db import transaction

from stories.models import LinkedPost, SourceArticle

from . import files
from .fetch import Fetcher
from .models import ArchivedCopy, LinkCheck
from .warc import MEDIA_TYPE, warc_of

Role = LinkCheck.Role


@dataclass(frozen=True)
class Address:
    """An address to fetch, and what it is the address of."""

    url: str
    role: str
    post: LinkedPost | None = None
    source: SourceArticle | None = None


def post_addresses(posts):
    for post in posts:
        if post.url:
            yield Address(post.url, Role.POST, post=post)
        if post.media_url:
            yield Address(post.media_url, Role.MEDIA, post=post)


def source_addresses(sources):
    for source in sources:
        if source.url:
            yield Address(source.url, Role.SOURCE, source=source)


def fetch_all(fetcher, addresses, concurrency, progress=None):
    """Yield (address, outcome) as each fetch ends, `concurrency` at a time. Addresses are
    taken from the iterable as fetches end (a few ahead), never all at once: a million
    posts are not a million waiting tasks."""
    window = max(1, concurrency) * 4
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        waiting = {}
        addresses = iter(addresses)
        while True:
            for address in itertools.islice(addresses, window - len(waiting)):
                waiting[pool.submit(fetcher.fetch, address.url)] = address
            if not waiting:
                return
            done, _ = wait(waiting, return_when=FIRST_COMPLETED)
            for future in done:
                if progress is not None:
                    progress.update()
                yield waiting.pop(future), future.result()


def record_check(address, outcome, command):
    return LinkCheck.objects.create(
        post=address.post,
        source=address.source,
        role=address.role,
        url=address.url,
        status=outcome.status,
        http_status=outcome.http_status,
        moved_to=outcome.moved_to,
        detail=outcome.detail,
        checked_at=outcome.asked_at,
        checked_by=command,
    )


def media_copy_of(final):
    """(kind, media type) of the picture or video a final answer holds, or None."""
    if final.truncated or not final.body:
        return None
    body = final.body
    encoding = final.header("content-encoding").lower()
    if encoding not in ("", "identity"):
        return None  # (pictures and video are not sent compressed; the WARC keeps it all)
    if final.media_type.startswith("image/") or not final.media_type:
        try:
            return ArchivedCopy.Kind.IMAGE, files.image_type(body)
        except files.NotAnImage:
            return None
    if video := files.video_type(body):
        return ArchivedCopy.Kind.VIDEO, video
    return None


def capture(address, outcome, command, operator=""):
    """Record one fetch: its link check, and its copies if it answered. Returns the copies."""
    copies = []
    with transaction.atomic():
        record_check(address, outcome, command)
        if not outcome.captured:
            return copies
        warc = warc_of(outcome, command, operator)
        copies.append(
            files.new_copy(
                address.post,
                kind=ArchivedCopy.Kind.CAPTURE,
                data=warc,
                media_type=MEDIA_TYPE,
                original_url=address.url,
                captured_by=command,
                captured_at=outcome.asked_at,
            )
        )
        if address.role == Role.MEDIA and (found := media_copy_of(outcome.final)):
            kind, media_type = found
            copies.append(
                files.new_copy(
                    address.post,
                    kind=kind,
                    data=outcome.final.body,
                    media_type=media_type,
                    original_url=outcome.final.url,
                    captured_by=command,
                    captured_at=outcome.asked_at,
                )
            )
    return copies


def not_yet_captured(addresses, batch=500):
    """The addresses no page capture holds yet, asked of the database a batch at a time."""
    addresses = iter(addresses)
    while chunk := list(itertools.islice(addresses, batch)):
        done = set(
            ArchivedCopy.objects.filter(
                kind=ArchivedCopy.Kind.CAPTURE, original_url__in={a.url for a in chunk}
            ).values_list("original_url", flat=True)
        )
        yield from (address for address in chunk if address.url not in done)


def capture_posts(posts, *, fetcher, concurrency=4, again=False, operator="", progress=None):
    """Capture every address of `posts` (a queryset); returns a Counter of what happened:
    'addresses', 'captured', 'failed', each copy kind, and each failed status (addresses
    minus captured and failed were skipped: captured before)."""
    tally = Counter()

    def counted(addresses):
        for address in addresses:
            tally["addresses"] += 1
            yield address

    addresses = counted(post_addresses(posts.order_by("pk").iterator(chunk_size=500)))
    if not again:
        addresses = not_yet_captured(addresses)
    command = "capture_posts"
    for address, outcome in fetch_all(fetcher, addresses, concurrency, progress):
        copies = capture(address, outcome, command, operator)
        if copies:
            tally["captured"] += 1
            tally.update(copy.kind for copy in copies)
        else:
            tally["failed"] += 1
            tally[outcome.status] += 1
    return tally


def check_links(posts, sources, *, fetcher, concurrency=4, progress=None):
    """Check every address of `posts` and `sources`; a Counter of statuses."""
    addresses = itertools.chain(
        post_addresses(posts.order_by("pk").iterator(chunk_size=500)),
        source_addresses(sources.order_by("pk").iterator(chunk_size=500)),
    )
    tally = Counter()
    for address, outcome in fetch_all(fetcher, addresses, concurrency, progress):
        with transaction.atomic():
            record_check(address, outcome, "check_links")
        tally[outcome.status] += 1
    return tally


def new_fetcher(command, *, timeout, max_redirects, per_host, max_bytes=None, read_body=True):
    options = {"timeout": timeout, "max_redirects": max_redirects, "per_host": per_host}
    if max_bytes is not None:
        options["max_bytes"] = max_bytes
    return Fetcher(command, read_body=read_body, **options)
