"""The demo accounts, one per role, on top of a generated network."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count

from channels.models import Dealer, DealerKind, Region
from dealerops.models import Role, User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo on purpose


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str


@transaction.atomic
def demo_users_ensure(*, reset_passwords: bool) -> list[DemoAccount]:
    """Create the demo users: ``admin`` (head office, superuser), ``finance``, ``manager``
    (the first region), ``manager2`` (the next two regions) and ``dealer`` (the first
    region's busiest 4S store). With ``reset_passwords`` existing ones are brought back to
    that state and password; without it they are left exactly as they are."""
    regions = list(Region.objects.order_by("id"))
    flagship = (
        Dealer.objects.filter(region=regions[0], kind=DealerKind.FOUR_S)
        .annotate(sold=Count("sales"))
        .order_by("-sold", "code")
        .first()
    )
    wanted = [
        ("admin", Role.HEAD_OFFICE, None, [], True),
        ("finance", Role.FINANCE, None, [], False),
        ("manager", Role.REGIONAL_MANAGER, None, regions[:1], False),
        ("manager2", Role.REGIONAL_MANAGER, None, regions[1:3], False),
        ("dealer", Role.DEALER_USER, flagship, [], False),
    ]
    accounts = []
    for username, role, dealer, user_regions, superuser in wanted:
        user = User.objects.filter(username=username).first()
        if user is None or reset_passwords:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={"role": role, "dealer": dealer, "is_staff": superuser, "is_superuser": superuser},
            )
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            user.regions.set(user_regions)
        accounts.append(DemoAccount(username, user.get_role_display(), _scope_of(user)))
    return accounts


def _scope_of(user: User) -> str:
    if user.dealer_id:
        return str(user.dealer)
    if user.role == Role.REGIONAL_MANAGER:
        return ", ".join(str(region) for region in user.regions.all()) or "no region"
    return "whole network"
