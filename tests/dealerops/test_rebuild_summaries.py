"""``manage.py rebuild_summaries`` repairs the home pages' and the finance reports' summaries
together, from the raw rows."""

import pytest
from django.core.management import call_command

from finance.models import DealerMonthSummary
from inventory.models import SalesMonth
from tests.factories import SaleFactory


def figures() -> tuple[list, list]:
    return (
        sorted(SalesMonth.objects.values_list("dealer_id", "month", "units", "financed_units", "revenue")),
        sorted(DealerMonthSummary.objects.values_list("dealer_id", "month", "sales", "loan_sales")),
    )


@pytest.mark.django_db
def test_the_command_rebuilds_both_apps_summaries_from_the_raw_rows(network):
    for payment in ("cash", "loan", "cash"):
        SaleFactory(dealer=network.home_dealer, payment=payment)
    kept = figures()
    assert kept[0] and kept[1]
    SalesMonth.objects.update(units=99)
    DealerMonthSummary.objects.all().delete()
    call_command("rebuild_summaries")
    assert figures() == kept
