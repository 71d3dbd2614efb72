"""The demo's staged data-quality defects never break a rule of the data they tamper with."""

import datetime as dt

import pytest

from channels.models import Lead, LeadOutcome
from dealerops.synthetic.quality import _tamper
from inventory.models import Sale
from tests.factories import LeadFactory, SaleFactory

LAST_COMPLETE = dt.date(2026, 11, 1)


def cash_sale(dealer, day: dt.date) -> Sale:
    # The unit arrived in the month it sold: not a sale the tampering moves to the month before.
    return SaleFactory(dealer=dealer, sold_on=day, payment="cash", stock_unit__arrived_on=LAST_COMPLETE)


@pytest.mark.django_db
def test_the_sale_deleted_and_entered_again_is_not_one_a_lead_was_won_by(network):
    won_by_a_lead = cash_sale(network.home_dealer, LAST_COMPLETE + dt.timedelta(days=1))
    lead = LeadFactory(dealer=network.home_dealer, outcome=LeadOutcome.WON, converted_sale=won_by_a_lead)
    walk_in = cash_sale(network.home_dealer, LAST_COMPLETE + dt.timedelta(days=2))
    _tamper(last_complete=LAST_COMPLETE)
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.converted_sale_id == won_by_a_lead.pk
    assert not Sale.objects.filter(pk=walk_in.pk).exists()
    (entered_again,) = Sale.objects.filter(stock_unit_id=walk_in.stock_unit_id)
    assert entered_again.sold_on == walk_in.sold_on + dt.timedelta(days=2)
