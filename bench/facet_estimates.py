"""How far the estimated facet counts are from the exact ones, and what each costs (issue 11).

    DATABASE_URL=postgres://postgres@127.0.0.1:55432/scale1m \\
        .venv/bin/python bench/facet_estimates.py --markdown

For each list URL (a common word; a word and a country; a word and a kind; a kind and a
performer; a country's dates; a kind) it builds the
list's facets twice, through `browse.facets.all_facets`: as the page does (those over more
than ESTIMATE_ABOVE stories estimated on the sample), then exactly (no estimate, no time
budget). For every estimated facet it compares each value the page shows with its exact
count, and checks the rule the page keeps: every value shown is among the exact count's
busiest SHOWN (ties at the boundary count as among them). Prints one row a URL: the facets
estimated, the values shown, the median and largest relative error of their counts, the
values shown that the exact count would not show near the top, and the time of each way.
Times include the queries; the database's caches are warm after the first URL.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from browse import facets  # noqa: E402
from browse.filters import filter_stories  # noqa: E402
from stories import facts  # noqa: E402
from stories.models import Country, FacetTotal, Performer  # noqa: E402

WORDS = ["neighbours", "balcony", "concert", "applause", "windows", "workout", "street"]


def urls():
    countries = list(Country.objects.visible().order_by("code").values_list("code", flat=True)[:3])
    yield from (f"q={word}" for word in WORDS)
    yield from (f"q={word}&country={code}" for word in WORDS[:3] for code in countries)
    yield from (f"kind=music&q={word}" for word in WORDS[:2])
    # Selections of the facet rows (estimated since the third stop): a kind beside one of its
    # performers (the performer facet counts the whole kind), a country's dates, a kind.
    performers = Performer.objects.visible().filter(stories__kind="music").distinct()
    performers = performers.order_by("slug")
    for performer in performers.values_list("slug", flat=True)[:2]:
        yield f"kind=music&performer={performer}"
    dates = "date_after=2020-04-01&date_before=2021-06-30"
    busiest = FacetTotal.objects.filter(facet="country").order_by("-total", "key")
    ids = [int(key) for key in busiest.values_list("key", flat=True)[:3]]
    codes = Country.objects.filter(pk__in=ids).values_list("code", flat=True)
    yield from (f"country={code}&{dates}" for code in [*countries, *sorted(codes)])
    yield from ("kind=applause", "kind=music")


def build(query):
    data = QueryDict(query)
    filterset = filter_stories(data)
    assert filterset.is_valid(), filterset.errors
    total = facets.story_count(filterset)  # the page has it already (and caches it)
    started = time.perf_counter()
    built, left_out = facets.all_facets(filterset, facets.Links(data), total)
    return {facet.name: facet for facet in built}, left_out, time.perf_counter() - started


def exactly(query):
    """The facets with nothing estimated and no time budget; every value kept."""
    limit, budget = facets.ESTIMATE_ABOVE, settings.FACET_TIME_BUDGET
    facets.ESTIMATE_ABOVE, settings.FACET_TIME_BUDGET = float("inf"), 600
    keep = facets.Facet.write_options
    facets.Facet.write_options = lambda facet: None  # keep every value, not just those shown
    try:
        return build(query)
    finally:
        facets.ESTIMATE_ABOVE, settings.FACET_TIME_BUDGET = limit, budget
        facets.Facet.write_options = keep


def compare(query):
    estimated, left_out, estimated_time = build(query)
    exact, _, exact_time = exactly(query)
    names, errors, wrong = [], [], []
    for name, facet in estimated.items():
        if not facet.estimated:
            continue
        names.append(name)
        counts = {value.key: value.count for value in exact[name].values}
        ranked = sorted(counts.values(), reverse=True)
        boundary = ranked[facets.SHOWN - 1] if len(ranked) >= facets.SHOWN else 0
        for value in facet.shown:
            if not value.estimated:
                continue  # the selected value, with the list's exact total
            true = counts.get(value.key, 0)
            errors.append(abs(value.count - true) / true if true else float("inf"))
            if name != "month" and true < boundary:
                wrong.append(f"{name}:{value.key}")
    return {
        "query": query,
        "facets": ", ".join(names) or "none",
        "left_out": ", ".join(left_out),
        "shown": len(errors),
        "median": statistics.median(errors) if errors else None,
        "max": max(errors) if errors else None,
        "wrong": wrong,
        "estimated_ms": estimated_time * 1000,
        "exact_ms": exact_time * 1000,
    }


def percent(value):
    return "" if value is None else f"{value * 100:.1f}%"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--only", help="only the queries holding this text (for example q=)")
    options = parser.parse_args()
    facts.bring_up_to_date()
    rows = [compare(query) for query in urls() if not options.only or options.only in query]
    print(
        f"{facts.total('story'):,} published stories; {connection.vendor} "
        f"{connection.cursor().connection.info.server_version if connection.vendor == 'postgresql' else ''}; "  # noqa: E501
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; "
        f"ESTIMATE_ABOVE {facets.ESTIMATE_ABOVE:,}, SAMPLED_AT_MOST {facets.SAMPLED_AT_MOST:,}, "
        f"MARGIN {facets.MARGIN}\n"
    )
    print(
        "| query | estimated | values shown | median error | max error | shown, not in exact top "
        "| left out | estimated ms | exact ms |"
    )
    print("| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |")
    for row in rows:
        print(
            f"| `{row['query']}` | {row['facets']} | {row['shown']} | {percent(row['median'])} "
            f"| {percent(row['max'])} | {', '.join(row['wrong']) or 'none'} | "
            f"{row['left_out'] or 'none'} | {row['estimated_ms']:,.0f} | {row['exact_ms']:,.0f} |"
        )


if __name__ == "__main__":
    main()
