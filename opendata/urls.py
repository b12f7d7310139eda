from django.urls import path

from opendata import downloads, feeds

app_name = "opendata"

urlpatterns = [
    path("stories/export.csv", downloads.stories_csv, name="stories-csv"),
    path("stories/export.json", downloads.stories_json, name="stories-json"),
    path("feed/", feeds.stories_feed, name="feed"),
]
