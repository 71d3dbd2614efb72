"""The demo network (the generator behind seed_demo, scored as seed_demo scores it) is rated
in the default bands' shares, where the legacy floors rated about three dealers in four D."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count

from channels.models import HealthScore
from dealerops.synthetic.generator import generate_network, truncate_network
from dealerops.synthetic.health import health_build
from dealerops.synthetic.spec import NetworkSpec

SPEC = NetworkSpec.national(0.01, end_date=dt.date(2026, 11, 21))  # 30 dealers in 8 regions, a year
OCTOBER = dt.date(2026, 10, 1)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_network(django_db_setup, django_db_blocker):
    """The network for the module, committed (generated in seconds with the row triggers off,
    as seed_demo does), and emptied again afterwards."""
    with django_db_blocker.unblock():
        generate_network(SPEC)
        yield
        with connection.cursor() as cursor:
            truncate_network(cursor)


def test_the_demo_network_is_rated_in_the_default_shares_not_mostly_d(demo_network):
    health_build(SPEC, months=2)  # September and October, as seed_demo scores its months
    rated = HealthScore.objects.filter(month=OCTOBER).exclude(rating="")
    total = rated.count()
    by_kind = {
        (row["dealer_kind"], row["rating"]): row["n"]
        for row in rated.values("dealer_kind", "rating").annotate(n=Count("pk")).order_by()
    }

    assert total == 28  # 24 4S stores and 4 secondary dealers scored
    # The floors 85 / 70 / 55 would have rated 19 of them (68 %) D: the composite is a mean of
    # percentile ranks, so it centres on 50.
    assert rated.filter(composite__lt=55).count() == 19
    # The default bands, within each peer group nationwide: 24 stores' cumulative 15 / 50 /
    # 85 % are 3.6, 12 and 20.4 stores, rounded 4, 12, 20; 4 secondary dealers one each.
    assert by_kind == {
        **{("4s", rating): count for rating, count in zip("ABCD", (4, 8, 8, 4), strict=True)},
        **{("secondary", rating): 1 for rating in "ABCD"},
    }
    assert rated.filter(rating="D").count() == 5  # 18 %
