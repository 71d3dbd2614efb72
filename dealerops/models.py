"""Portal users and their role. The role decides what `dealerops.access` lets them see."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    DEALER_USER = "dealer_user", _("Dealer user")
    FINANCE = "finance", _("Finance staff")
    HEAD_OFFICE = "head_office", _("Head office")


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.HEAD_OFFICE)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A portal user. A dealer user belongs to exactly one dealer; a regional manager runs
    one or more regions; finance and head office see the whole network."""

    # The default is the safest role: a regional manager with no regions sees nothing.
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REGIONAL_MANAGER)
    dealer = models.ForeignKey(
        "channels.Dealer",
        verbose_name=_("dealer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    regions = models.ManyToManyField("channels.Region", verbose_name=_("regions"), blank=True, related_name="managers")

    objects = PortalUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                name="user_dealer_iff_dealer_user",
                condition=(Q(role="dealer_user", dealer__isnull=False) | (~Q(role="dealer_user") & Q(dealer__isnull=True))),
                violation_error_message=_("A dealer user needs a dealer, and only dealer users have one."),
            )
        ]

    @property
    def is_head_office(self) -> bool:
        return self.is_superuser or self.role == Role.HEAD_OFFICE
