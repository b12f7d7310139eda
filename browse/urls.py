import datetime

from django.urls import path, register_converter

from browse import copies, corrections, replay, views


class IsoDateConverter:
    """YYYY-MM-DD; an impossible day (2020-02-30) matches no URL, hence a 404."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value):
        return datetime.date.fromisoformat(value)

    def to_url(self, value):
        return value.isoformat()


register_converter(IsoDateConverter, "isodate")

app_name = "browse"

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/", views.story_list, name="list"),
    path("stories/<slug:slug>/", views.story_detail, name="story"),
    path(
        "stories/<slug:slug>/correction/",
        corrections.correction_request,
        name="correction",
    ),
    path(
        "stories/<slug:slug>/correction/sent/",
        corrections.correction_sent,
        name="correction-sent",
    ),
    path("cities/", views.city_list, name="cities"),
    path("cities/<slug:slug>/", views.city_detail, name="city"),
    path("regions/<slug:slug>/", views.region_detail, name="region"),
    path("performers/", views.performer_list, name="performers"),
    path("performers/<slug:slug>/", views.performer_detail, name="performer"),
    path("on/<isodate:day>/", views.day_detail, name="day"),
    path("timeline/", views.timeline_view, name="timeline"),
    path("map/", views.map_view, name="map"),
    path("about/", views.about, name="about"),
    path("copies/<int:pk>/", copies.copy_file, name="copy"),
    path("copies/<int:pk>/replay/", replay.copy_replay, name="copy-replay"),
    path("copies/<int:pk>/replay/frame/", replay.copy_replay_frame, name="copy-replay-frame"),
    path("favicon.ico", views.favicon, name="favicon"),
]
