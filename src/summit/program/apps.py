from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramConfig(AppConfig):
    name = "summit.program"
    label = "program"
    verbose_name = _("Program")
    default_auto_field = "django.db.models.BigAutoField"
