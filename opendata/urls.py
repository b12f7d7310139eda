from django.urls import path

from opendata import downloads, feeds, sitemaps

app_name = "opendata"

urlpatterns = [
    path("stories/export.csv", downloads.stories_csv, name="stories-csv"),
    path("stories/export.json", downloads.stories_json, name="stories-json"),
    path("feed/", feeds.stories_feed, name="feed"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
    path("robots.txt", sitemaps.robots_txt, name="robots"),
]
