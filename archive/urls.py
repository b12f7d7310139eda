from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("opendata.urls")),
    path("", include("browse.urls")),
]

# 503 while the database is unreachable, our own 500 page otherwise (archive/errors.py).
handler500 = "archive.errors.server_error"
