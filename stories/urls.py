from django.urls import path

from stories import views

app_name = "stories"

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<slug:slug>/", views.story_detail, name="story"),
    path("cities/<slug:slug>/", views.city_detail, name="city"),
    path("performers/<slug:slug>/", views.performer_detail, name="performer"),
]
