"""A lead's first contact and outcome feed the health score's lead metrics (response time,
conversion): a dealer cannot set them after the fact, through the API or an import."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from channels.models import Lead, LeadOutcome
from datahub.models import ImportKind
from tests.datahub.helpers import confirm, errors_of, run_import
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def patch(network, lead, body):
    client = APIClient()
    client.force_authenticate(network.dealer_user)
    return client.patch(f"/api/v1/leads/{lead.pk}/", body, format="json")


def test_a_first_contact_in_the_future_is_refused(network):
    lead = LeadFactory(dealer=network.home_dealer)
    later = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = patch(network, lead, {"first_contact_at": later})
    assert response.status_code == 400
    assert response.json() == {"first_contact_at": ["The first contact cannot be in the future."]}


def test_a_first_contact_before_the_assignment_is_refused(network):
    lead = LeadFactory(dealer=network.home_dealer)
    before = lead.assigned_at - dt.timedelta(minutes=1)
    response = patch(network, lead, {"first_contact_at": before.isoformat()})
    assert response.status_code == 400
    assigned = timezone.localtime(lead.assigned_at).strftime("%Y-%m-%d %H:%M")
    assert response.json() == {
        "first_contact_at": [f"The first contact cannot precede the lead's assignment ({assigned})."]
    }


def test_a_recorded_first_contact_cannot_be_overwritten(network):
    lead = LeadFactory(dealer=network.home_dealer)
    first = lead.assigned_at + dt.timedelta(hours=3)
    assert patch(network, lead, {"first_contact_at": first.isoformat()}).status_code == 200
    earlier = patch(network, lead, {"first_contact_at": (lead.assigned_at + dt.timedelta(minutes=2)).isoformat()})
    assert earlier.status_code == 400
    assert "already recorded" in earlier.json()["first_contact_at"][0]
    lead.refresh_from_db()
    assert lead.first_contact_at == first
    # The outcome may still move on.
    assert patch(network, lead, {"outcome": "test_drive"}).json()["outcome"] == "test_drive"


def test_a_lost_lead_cannot_be_reopened(network):
    lead = LeadFactory(dealer=network.home_dealer, outcome=LeadOutcome.LOST)
    response = patch(network, lead, {"outcome": "contacted"})
    assert response.status_code == 400
    assert response.json() == {"outcome": ["A lost lead cannot be reopened: record a new lead instead."]}


def test_the_database_refuses_the_same_moves(network):
    lead = LeadFactory(
        dealer=network.home_dealer, outcome=LeadOutcome.LOST, first_contact_at=timezone.now() - dt.timedelta(days=4)
    )
    for change in ({"outcome": LeadOutcome.OPEN}, {"first_contact_at": None}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Lead.objects.filter(pk=lead.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(first_contact_at=lead.assigned_at - dt.timedelta(minutes=1))


HEADER = "线索编号,创建时间,线索来源,客户城市,分配时间,首次联系时间,跟进状态\n"


def test_the_leads_import_keeps_the_same_rules(network):
    confirm(
        network,
        run_import(
            network,
            ImportKind.LEADS,
            HEADER
            + "L-1,2026-10-01 09:30,官网,杭州,2026-10-01 09:35,2026-10-01 10:00,已联系\n"
            + "L-2,2026-10-01 09:30,官网,杭州,2026-10-01 09:35,,战败\n",
        ),
    )
    future = (timezone.localtime(timezone.now()) + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    batch = run_import(
        network,
        ImportKind.LEADS,
        HEADER
        + "L-1,2026-10-01 09:30,官网,杭州,2026-10-01 09:35,2026-10-01 09:40,已联系\n"
        + "L-2,2026-10-01 09:30,官网,杭州,2026-10-01 09:35,,已联系\n"
        + "L-3,2026-10-01 09:30,官网,杭州,2026-10-01 09:35,2026-10-01 09:31,已联系\n"
        + f"L-4,2026-10-01 09:30,官网,杭州,2026-10-01 09:35,{future},已联系\n",
    )
    assert errors_of(batch) == [
        (2, "首次联系时间", "The first contact is already recorded (2026-10-01 10:00) and cannot be changed."),
        (3, "跟进状态", "A lost lead cannot be reopened: record a new lead instead."),
        (4, "首次联系时间", "The first contact cannot precede the lead's assignment (2026-10-01 09:35)."),
        (5, "首次联系时间", "The first contact cannot be in the future."),
    ]
    assert Lead.objects.get(crm_reference="L-1").first_contact_at == dt.datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)
