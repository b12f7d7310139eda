from django.urls import path

from opendata import citations, downloads, feeds, sitemaps

app_name = "opendata"

urlpatterns = [
    path("stories/export.csv", downloads.stories_csv, name="stories-csv"),
    path("stories/export.json", downloads.stories_json, name="stories-json"),
    path("feed/", feeds.stories_feed, name="feed"),
    *(
        path(
            f"stories/<slug:slug>/cite.{extension}",
            citations.citation,
            {"extension": extension},
            name=f"citation-{extension}",
        )
        for extension in citations.WRITERS
    ),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
    path("robots.txt", sitemaps.robots_txt, name="robots"),
]
