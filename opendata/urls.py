from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from opendata import api, citations, downloads, feeds, oai, sitemaps

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
    path("oai/", oai.endpoint, name="oai"),
    path("api/", api.endpoint(api.ApiRoot), name="api"),
    path("api/schema/", api.endpoint(SpectacularJSONAPIView), name="api-schema"),
    path("api/stories/", api.endpoint(api.StoryList), name="api-stories"),
    path("api/stories/<slug:slug>/", api.endpoint(api.StoryDetail), name="api-story"),
    path("api/cities/", api.endpoint(api.CityList), name="api-cities"),
    path("api/cities/<slug:slug>/", api.endpoint(api.CityDetail), name="api-city"),
    path("api/countries/", api.endpoint(api.CountryList), name="api-countries"),
    path("api/countries/<str:code>/", api.endpoint(api.CountryDetail), name="api-country"),
    path("api/performers/", api.endpoint(api.PerformerList), name="api-performers"),
    path("api/performers/<slug:slug>/", api.endpoint(api.PerformerDetail), name="api-performer"),
    re_path(r"^api/", api.not_found),
]
