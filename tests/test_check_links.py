"""`manage.py check_links` against a local server that plays every answer a cited address
can give (tests/sites.py); nothing leaves the machine."""

import socket
import ssl

import pytest
import trustme
from django.core.management import CommandError, call_command

from preservation.fetch import Politeness
from preservation.models import LinkCheck
from stories.models import LinkedPost
from tests import factories
from tests.sites import serving

pytestmark = pytest.mark.django_db

FAST = ["--timeout", "1", "--per-host", "1000", "--concurrency", "4"]

# path: (status, HTTP status, moved to, words in the detail)
CASES = {
    "/ok": ("live", 200, "", ""),
    "/chain-1": ("moved", 200, "/ok", ""),
    "/moved-away": ("gone", 404, "/gone-404", ""),
    "/loop-a": ("unreachable", 302, "/loop-b", "redirect loop"),
    "/gone-404": ("gone", 404, "", ""),
    "/gone-410": ("gone", 410, "", ""),
    "/withheld-451": ("withheld", 451, "", ""),
    "/blocked-401": ("blocked", 401, "", ""),
    "/blocked-403": ("blocked", 403, "", ""),
    "/busy-429": ("blocked", 429, "", "Retry-After: 120"),
    "/error-500": ("error", 500, "", ""),
    "/slow": ("unreachable", None, "", "timed out after 1 s"),
    "/reset": ("unreachable", None, "", "connection broken"),
}


def story_with_posts(urls, **fields):
    story = factories.story("Applause in Madrid", **fields)
    for url in urls:
        factories.post(story, url=url)
    return story


def latest(url):
    return LinkCheck.objects.filter(url=url).latest_first().first()


def test_every_answer_gets_its_status(capsys):
    with serving(slow_seconds=3) as site:
        story_with_posts(site.url(path) for path in CASES)
        call_command("check_links", *FAST)
    for path, (status, code, moved_to, detail) in CASES.items():
        check = latest(site.url(path))
        assert check is not None, path
        assert (check.status, check.http_status) == (status, code), path
        assert check.moved_to == (site.url(moved_to) if moved_to else ""), path
        assert detail in check.detail, path
        assert check.role == LinkCheck.Role.POST
        assert check.checked_by == "check_links"
    assert capsys.readouterr().out == (
        "Checked 13 addresses: live 1, gone 3, withheld 1, blocked 3, moved 1, "
        "other HTTP error 1, unreachable 3.\n"
    )


def test_a_port_nobody_listens_on_is_unreachable():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    url = f"http://127.0.0.1:{port}/post"
    story_with_posts([url])
    call_command("check_links", *FAST)
    check = latest(url)
    assert check.status == "unreachable"
    assert check.detail.startswith("could not connect")


def test_a_name_that_does_not_resolve_is_unreachable(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == "gone.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    story_with_posts(["https://gone.invalid/status/1"])
    call_command("check_links", *FAST)
    check = latest("https://gone.invalid/status/1")
    assert check.status == "unreachable"
    assert check.detail.startswith("DNS:")


def test_a_certificate_nobody_trusts_is_unreachable():
    authority = trustme.CA()  # not in the machine's trust store
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with serving(wrap=lambda sock: context.wrap_socket(sock, server_side=True)) as site:
        url = site.url("/ok").replace("http:", "https:")
        story_with_posts([url])
        call_command("check_links", *FAST)
    check = latest(url)
    assert check.status == "unreachable"
    assert check.detail.startswith("TLS:")


def test_media_links_and_sources_are_checked_and_nothing_is_deleted():
    with serving() as site:
        source = factories.source(url=site.url("/gone-410"))
        story = story_with_posts([], sources=[source])
        post = factories.post(story, url=site.url("/ok"), media_url=site.url("/gone-404"))
        call_command("check_links", *FAST)
        call_command("check_links", *FAST)
    assert [c.status for c in LinkCheck.objects.filter(role="media")] == ["gone", "gone"]
    assert [c.status for c in LinkCheck.objects.filter(source=source)] == ["gone", "gone"]
    assert LinkCheck.objects.filter(post=post, role="post").count() == 2
    post.refresh_from_db()
    assert post.media_url == site.url("/gone-404")  # kept, though gone
    source.refresh_from_db()
    assert source.url == site.url("/gone-410")


def test_the_archive_says_who_is_asking():
    with serving() as site:
        story_with_posts([site.url("/ok")])
        call_command("check_links", *FAST)
    (_, headers, _), *_ = site.requests
    assert headers["User-Agent"].startswith("LockdownSolidarityArchive/1.0 (check_links;")


def test_one_host_is_asked_at_most_per_host_times_a_second():
    with serving() as site:
        story_with_posts(site.url(f"/ok?n={n}") for n in range(5))
        call_command("check_links", "--per-host", "10", "--concurrency", "4")
    times = sorted(moment for _, _, moment in site.requests)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) == 5
    assert min(gaps) >= 0.09  # 1/10 s, less the clock's grain


def test_politeness_spaces_one_host_and_not_two():
    politeness = Politeness(interval=60)
    politeness.wait("a.example")
    politeness.wait("b.example")  # another host: no wait
    assert politeness.next_at["a.example"] - politeness.next_at["b.example"] < 1


def test_only_the_story_asked_for_is_checked():
    with serving() as site:
        story_with_posts([site.url("/ok")], slug="asked")
        story_with_posts([site.url("/gone-404")], slug="other")
        call_command("check_links", "--story", "asked", *FAST)
    assert list(LinkCheck.objects.values_list("url", flat=True)) == [site.url("/ok")]


def test_an_unknown_story_is_an_error_naming_it():
    with pytest.raises(CommandError, match="No story “nope”"):
        call_command("check_links", "--story", "nope")


@pytest.mark.parametrize("option", ["--timeout", "--per-host", "--concurrency"])
def test_a_bad_option_value_is_refused(option):
    with pytest.raises(CommandError, match=f"argument {option}: must be more than 0, not 0"):
        call_command("check_links", option, "0")


def test_a_check_is_never_altered():
    from django.db import IntegrityError, transaction

    with serving() as site:
        story_with_posts([site.url("/ok")])
        call_command("check_links", *FAST)
    with pytest.raises(IntegrityError), transaction.atomic():
        LinkCheck.objects.update(status="gone")
    assert LinkCheck.objects.get().status == "live"
    assert LinkedPost.objects.count() == 1
