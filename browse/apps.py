from django.apps import AppConfig


class BrowseConfig(AppConfig):
    """The public site: pages that read published stories and own no models."""

    name = "browse"
