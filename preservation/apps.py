from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreservationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "preservation"
    verbose_name = _("Preservation")
