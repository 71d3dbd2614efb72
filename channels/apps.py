from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    # This app owns the import name and label "channels": never install Django Channels.
    name = "channels"
    verbose_name = _("Dealer network")
    default_auto_field = "django.db.models.BigAutoField"
