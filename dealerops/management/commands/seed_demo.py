"""Load the demo network (about 200 dealers, two years of sales) and its demo users."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from channels.models import Dealer, DealerKind, Region
from dealerops.models import Role, User
from dealerops.synthetic.generator import NetworkSpec, generate_network
from dealerops.validation import today

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo on purpose


class Command(BaseCommand):
    help = "Build the demo network (deterministic); reuse it when it is already there unless --reset."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Rebuild the demo network and its users.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--dealers", type=int, default=200)
        parser.add_argument("--sales", type=int, default=100_000)

    def handle(self, *args, reset: bool, seed: int, dealers: int, sales: int, **options):
        if Dealer.objects.exists() and not reset:
            self.stdout.write("The demo network is already loaded: reusing it (--reset rebuilds it).")
        else:
            started = time.perf_counter()
            spec = NetworkSpec(
                end_date=today() - timedelta(days=1),
                dealers=dealers,
                sales=sales,
                customers=round(sales * 0.6),
                stock_on_hand=round(sales * 0.15),
                seed=seed,
            )
            timings = generate_network(spec, progress=lambda message: self.stdout.write(f"  {message}"))
            elapsed = time.perf_counter() - started
            self.stdout.write(f"Demo network built in {elapsed:.1f} s: {sum(timings.rows.values()):,} rows.")
        self.stdout.write(self.style.SUCCESS(self.ensure_demo_users()))

    @transaction.atomic
    def ensure_demo_users(self) -> str:
        regions = list(Region.objects.order_by("id"))
        first_region = regions[0]
        flagship = (
            Dealer.objects.filter(region=first_region, kind=DealerKind.FOUR_S, status="active")
            .order_by("-monthly_sales_target", "code")
            .first()
        )
        accounts = [
            ("admin", Role.HEAD_OFFICE, None, [], True),
            ("finance", Role.FINANCE, None, [], False),
            ("manager", Role.REGIONAL_MANAGER, None, [first_region], False),
            ("manager2", Role.REGIONAL_MANAGER, None, regions[1:3], False),
            ("dealer", Role.DEALER_USER, flagship, [], False),
        ]
        lines = ["Demo log-ins (password: demo-pass-2026):"]
        for username, role, dealer, user_regions, superuser in accounts:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={"role": role, "dealer": dealer, "is_staff": superuser, "is_superuser": superuser},
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.regions.set(user_regions)
            scope = dealer.name if dealer else ", ".join(r.name for r in user_regions) or "whole network"
            lines.append(f"  {username:<9} {user.get_role_display():<18} {scope}")
        return "\n".join(lines)
