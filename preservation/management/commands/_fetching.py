"""The options capture_posts and check_links share: how politely and how long to fetch."""

import argparse

from preservation.models import LinkCheck


def positive(kind):
    def parse(value):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {value}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
        return number

    return parse


def add_fetch_arguments(parser):
    parser.add_argument(
        "--timeout",
        type=positive(float),
        default=20.0,
        metavar="SECONDS",
        help="Give up on an address after this long, redirects included (20).",
    )
    parser.add_argument(
        "--max-redirects",
        type=positive(int),
        default=5,
        metavar="N",
        help="Follow at most this many redirects (5).",
    )
    parser.add_argument(
        "--per-host",
        type=positive(float),
        default=1.0,
        metavar="REQUESTS",
        help="Requests a second to any one host, at most (1).",
    )
    parser.add_argument(
        "--concurrency",
        type=positive(int),
        default=4,
        metavar="N",
        help="Addresses fetched at once, across hosts (4).",
    )
    parser.add_argument(
        "--max-bytes",
        type=positive(int),
        default=100 * 1024 * 1024,
        metavar="BYTES",
        help="Keep at most this much of one answer; a longer one is marked truncated (100 MB).",
    )


def fetch_options(options):
    return {
        "timeout": options["timeout"],
        "max_redirects": options["max_redirects"],
        "per_host": options["per_host"],
        "max_bytes": options["max_bytes"],
    }


def summary(tally, every=False):
    """ ": gone 2, unreachable 1" for the statuses counted in `tally` (all with `every`)."""
    statuses = [s for s in LinkCheck.Status if tally[s] and (every or s != LinkCheck.Status.LIVE)]
    if not statuses:
        return ""
    return ": " + ", ".join(f"{status.label} {tally[status]}" for status in statuses)
