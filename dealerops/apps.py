from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealeropsConfig(AppConfig):
    name = "dealerops"
    verbose_name = _("Accounts and access")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dealerops import (
            lookups,  # noqa: F401 - registers the __any lookup
            schema,  # noqa: F401 - registers the OpenAPI filter extension
        )
