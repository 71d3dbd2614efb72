"""The lead routing side of a generated network, as the beat task would have left it: a lead
page for every active dealer and two campaigns, city showrooms open mall hours, and the last
two days' leads that the generator left waiting (about 30 % of them) routed by the real
service, with the SLA passes of those days run every three hours while the dealers call back
most of their leads in time, so some leads moved to their next candidate and a few went to
the regional manager."""

from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from channels.models import Dealer, DealerKind, Lead, Region
from channels.routing.services import dealer_lead_pages_ensure, lead_page_create, leads_sla_pass
from dealerops.synthetic.spec import SHANGHAI, NetworkSpec
from inventory.models import VehicleModel

STEP = timedelta(hours=3)
CALLED_BACK_IN_TIME = 0.6  # the share of a step's waiting leads their dealer calls within the SLA

# The dealers call back some of the leads they hold, before the lead is due and not after now.
CALL_BACK = """
UPDATE channels_lead
SET first_contact_at = assigned_at + random() * (LEAST(sla_due_at, %(now)s) - assigned_at), outcome = 'contacted'
WHERE sla_due_at IS NOT NULL AND first_contact_at IS NULL AND escalated_at IS NULL AND outcome = 'open'
  AND assigned_at < LEAST(sla_due_at, %(now)s) AND random() < %(share)s
"""


def routing_build(spec: NetworkSpec) -> int:
    """Build it; returns the leads routed or moved by the passes."""
    Dealer.objects.filter(kind=DealerKind.SHOWROOM).update(opens_at=time(10), closes_at=time(22))
    dealer_lead_pages_ensure(created_by=None)
    model = VehicleModel.objects.order_by("-launch_date", "code").first()
    lead_page_create(name="全国春季试驾季", created_by=None, model_of_interest=model)
    first_region = Region.objects.order_by("id").first()
    if first_region is not None:
        lead_page_create(name=f"{first_region.name}车展", created_by=None, region=first_region)
    waiting = Lead.objects.filter(dealer__isnull=True).aggregate(first=Min("created_at"))["first"]
    if waiting is None:
        return 0
    last_day = datetime.combine(spec.end_date, time(23, 59), tzinfo=SHANGHAI)
    stop = min(timezone.now(), last_day + timedelta(hours=12))
    moved = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(spec.seed % 1000) / 1000])  # the same seed, the same call-backs
        moment = waiting + STEP
        while moment <= stop:
            run = leads_sla_pass(at=moment)
            moved += run.rows if run else 0
            cursor.execute(CALL_BACK, {"now": moment, "share": CALLED_BACK_IN_TIME})
            moment += STEP
    return moved
