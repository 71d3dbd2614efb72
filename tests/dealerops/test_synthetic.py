"""The generator behind seed_demo and bench/generate.py writes a network that keeps every rule.

It loads with the row triggers switched off (foreign keys and the deferred cross-table checks
included), so these tests count violations with SQL; one test loads with the triggers on and
makes the database check everything.
"""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from channels.models import CityMarket, Dealer, Region
from channels.planning.capacity import market_capacity
from dealerops.models import Role, User
from dealerops.synthetic.cities import CITIES, REGIONS
from dealerops.synthetic.demo import DEMO_PASSWORD
from dealerops.synthetic.generator import generate_network, truncate_network
from dealerops.synthetic.spec import NetworkSpec
from dealerops.synthetic.vocabulary import COLOURS

END = dt.date(2026, 11, 21)
TINY = NetworkSpec(
    end_date=END,
    regions=2,
    dealers=12,
    models=9,
    months=4,
    sales=1200,
    customers=1000,
    stock_on_hand=150,
    in_transit=40,
    ordered=20,
    service_visits=800,
    inquiries=60,
    lenders=6,
)

VIOLATIONS = {
    "sale dated before its unit arrived": """
        SELECT count(*) FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id
        WHERE s.sold_on < u.arrived_on OR u.arrived_on < u.ordered_on OR u.arrived_on IS NULL""",
    "sale of another dealer's unit": """
        SELECT count(*) FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id
        WHERE u.dealer_id <> s.dealer_id OR u.status <> 'sold'""",
    "sold unit without a sale": """
        SELECT count(*) FROM inventory_stockunit u LEFT JOIN inventory_sale s ON s.stock_unit_id = u.id
        WHERE (u.status = 'sold') <> (s.id IS NOT NULL)""",
    "sale to another dealer's customer": """
        SELECT count(*) FROM inventory_sale s JOIN customers_customer c ON c.id = s.customer_id
        WHERE c.home_dealer_id <> s.dealer_id""",
    "loan on a sale not paid by loan": """
        SELECT count(*) FROM finance_loan l JOIN inventory_sale s ON s.id = l.sale_id WHERE s.payment <> 'loan'""",
    "loan sale without exactly one loan": """
        SELECT count(*) FROM inventory_sale s WHERE s.payment = 'loan'
        AND (SELECT count(*) FROM finance_loan l WHERE l.sale_id = s.id) <> 1""",
    "principal + down payment differ from the price": """
        SELECT count(*) FROM finance_loan l JOIN inventory_sale s ON s.id = l.sale_id
        WHERE l.principal + l.down_payment <> s.transaction_price""",
    "down payment outside 20-50 %": """
        SELECT count(*) FROM finance_loan l JOIN inventory_sale s ON s.id = l.sale_id
        WHERE l.down_payment < 0.2 * s.transaction_price OR l.down_payment > 0.5 * s.transaction_price""",
    "loan of another dealer than its sale": """
        SELECT count(*) FROM finance_loan l JOIN inventory_sale s ON s.id = l.sale_id WHERE l.dealer_id <> s.dealer_id""",
    "loan status disagrees with its dates": """
        SELECT count(*) FROM finance_loan WHERE
           (status = 'matured' AND closed_on <> disbursed_on + make_interval(months => term_months))
        OR (status IN ('paid_off_early', 'defaulted')
            AND closed_on >= disbursed_on + make_interval(months => term_months))
        OR (status = 'disbursed' AND disbursed_on + make_interval(months => term_months) <= DATE '2026-11-21')
        OR (status IN ('applied', 'approved') AND applied_on < DATE '2026-11-21' - 14)
        OR applied_on > disbursed_on OR closed_on > DATE '2026-11-21'""",
    "rate outside 3-9 % or buy rate where the lender is no auto-finance company": """
        SELECT count(*) FROM finance_loan l JOIN finance_lender r ON r.id = l.lender_id
        WHERE l.annual_rate NOT BETWEEN 0.03 AND 0.09 OR (l.buy_rate IS NOT NULL) <> (r.kind = 'auto_finance')
        OR l.buy_rate >= l.annual_rate""",
    "won lead without a sale of its dealer, or created after it": """
        SELECT count(*) FROM channels_lead l LEFT JOIN inventory_sale s ON s.id = l.converted_sale_id
        WHERE (l.outcome = 'won') <> (s.id IS NOT NULL) OR s.dealer_id <> l.dealer_id
        OR l.created_at::date > s.sold_on OR l.first_contact_at > s.sold_on + 1""",
    "lead contacted or assigned before it came in": """
        SELECT count(*) FROM channels_lead
        WHERE assigned_at < created_at OR first_contact_at < assigned_at OR (assigned_at IS NULL) <> (dealer_id IS NULL)
        OR (first_contact_at IS NOT NULL AND assigned_at IS NULL)""",
    "VIN malformed or repeated": """
        SELECT count(*) - count(DISTINCT vin) + count(*) FILTER (WHERE vin !~ '^[A-HJ-NPR-Z0-9]{17}$')
        FROM inventory_stockunit""",
    "phone malformed or repeated at a dealer": """
        SELECT count(*) - count(DISTINCT (home_dealer_id, phone)) + count(*) FILTER (WHERE phone !~ '^1[3-9][0-9]{9}$')
        FROM customers_customer""",
    "secondary dealer without a 4S parent of its region, or parent of another kind": """
        SELECT count(*) FROM channels_dealer d LEFT JOIN channels_dealer p ON p.id = d.parent_id
        WHERE (d.kind = 'secondary') <> (p.id IS NOT NULL) OR p.kind <> '4s' OR p.region_id <> d.region_id""",
    "customer without a purchase": """
        SELECT count(*) FROM customers_customer c WHERE NOT EXISTS (SELECT 1 FROM inventory_sale s WHERE s.customer_id = c.id)""",
    "service visit before the customer bought": """
        SELECT count(*) FROM customers_servicevisit v
        WHERE v.visited_on < (SELECT min(s.sold_on) FROM inventory_sale s WHERE s.customer_id = v.customer_id)""",
    "unit on hand with the wrong dates": """
        SELECT count(*) FROM inventory_stockunit WHERE
           (status = 'in_stock' AND (arrived_on IS NULL OR arrived_on > DATE '2026-11-21'))
        OR (status IN ('in_transit', 'ordered') AND (arrived_on IS NOT NULL OR eta <= DATE '2026-11-21'))""",
    "record dated after the last day": """
        SELECT (SELECT count(*) FROM inventory_sale WHERE sold_on > DATE '2026-11-21'
                OR recorded_at >= TIMESTAMPTZ '2026-11-22 00:00+08' OR recorded_at < sold_on)
             + (SELECT count(*) FROM inventory_stockunit WHERE ordered_on > DATE '2026-11-21')
             + (SELECT count(*) FROM channels_lead WHERE first_contact_at >= TIMESTAMPTZ '2026-11-22 00:00+08')
             + (SELECT count(*) FROM customers_servicevisit WHERE visited_on > DATE '2026-11-21')
             + (SELECT count(*) FROM customers_inquiry WHERE resolved_at >= TIMESTAMPTZ '2026-11-22 00:00+08'
                OR resolved_at < opened_at)""",
}

# Every foreign key of the domain tables, found in the catalogue: "child.column -> parent.column".
FOREIGN_KEYS = """
    SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND c.conrelid::regclass::text ~ '^(channels|inventory|customers|finance)_'
      AND c.conrelid::regclass::text !~ 'event$'
"""


def scalar(query: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def checksum() -> tuple:
    return (
        scalar("SELECT sum(transaction_price) FROM inventory_sale"),
        scalar("SELECT md5(string_agg(vin || colour, ',' ORDER BY id)) FROM inventory_stockunit"),
        scalar(
            "SELECT md5(string_agg(concat_ws('|', dealer_id, created_at, outcome), ',' ORDER BY id)) FROM channels_lead"
        ),
        scalar("SELECT sum(principal) FROM finance_loan"),
    )


@pytest.fixture(scope="module")
def tiny_network(django_db_setup, django_db_blocker):
    """One tiny network for the module, committed, and emptied again afterwards."""
    with django_db_blocker.unblock():
        report = generate_network(TINY)
        yield report
        with connection.cursor() as cursor:
            truncate_network(cursor)


pytestmark = pytest.mark.django_db


def test_the_generated_network_keeps_every_rule(tiny_network):
    found = {rule: scalar(query) for rule, query in VIOLATIONS.items()}
    assert found == dict.fromkeys(VIOLATIONS, 0)


def test_every_foreign_key_finds_its_row(tiny_network):
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS)
        keys = cursor.fetchall()
    assert len(keys) >= 15
    orphans = {
        f"{child}.{column}": scalar(
            f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL "  # noqa: S608 - names from the catalogue
            f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{target} = c.{column})"
        )
        for child, column, parent, target in keys
    }
    assert orphans == dict.fromkeys(orphans, 0)


def test_it_has_the_requested_size_and_mix(tiny_network):
    assert tiny_network.rows["inventory_sale"] == 1200
    assert scalar("SELECT count(*) FROM channels_region") == 2
    assert scalar("SELECT count(*) FROM channels_dealer") == 12
    assert scalar("SELECT count(*) FROM finance_lender") == 6
    assert scalar("SELECT count(*) FROM channels_lead") == 3600
    units = {
        status: scalar("SELECT count(*) FROM inventory_stockunit WHERE status = %s", [status])
        for status in ("sold", "in_stock", "in_transit", "ordered")
    }
    assert units == {"sold": 1200, "in_stock": 150, "in_transit": 40, "ordered": 20}
    loan_share = scalar("SELECT avg((payment = 'loan')::int) FROM inventory_sale")
    assert 0.55 <= loan_share <= 0.65
    below_floor = scalar(
        "SELECT avg((s.transaction_price < m.guide_price_floor)::int) FROM inventory_sale s "
        "JOIN inventory_stockunit u ON u.id = s.stock_unit_id JOIN inventory_vehiclemodel m ON m.id = u.model_id"
    )
    assert 0.005 <= below_floor <= 0.08
    assert (
        scalar(
            "SELECT min(transaction_price / m.msrp) FROM inventory_sale s JOIN inventory_stockunit u "
            "ON u.id = s.stock_unit_id JOIN inventory_vehiclemodel m ON m.id = u.model_id"
        )
        > 0.85
    )
    assert (
        scalar(
            "SELECT count(*) FROM inventory_stockunit WHERE status = 'in_stock' AND arrived_on < DATE '2026-11-21' - 90"
        )
        > 0
    )
    won = scalar("SELECT avg((outcome = 'won')::int) FROM channels_lead")
    assert 0.10 <= won <= 0.20


def test_every_unit_has_a_colour_of_the_range_in_plausible_shares(tiny_network):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT colour, count(*)::float / sum(count(*)) OVER () FROM inventory_stockunit GROUP BY colour"
        )
        shares = dict(cursor.fetchall())
    assert set(shares) == {name for name, _share, _bev_share in COLOURS}
    # White leads, then black and grey; every colour of the range is drawn.
    assert max(shares, key=shares.get) == "珍珠白" and 0.25 <= shares["珍珠白"] <= 0.40
    assert min(shares.values()) >= 0.02
    electric_grey_or_blue = scalar(
        "SELECT avg((u.colour IN ('星空灰', '冰川蓝'))::int) FROM inventory_stockunit u"
        " JOIN inventory_vehiclemodel m ON m.id = u.model_id WHERE m.powertrain = %s",
        ["bev"],
    )
    assert electric_grey_or_blue > 0.28  # BEV buyers choose grey and blue more (36 % against 24 %)


def test_the_same_seed_gives_the_same_network_and_another_seed_another(tiny_network):
    first = checksum()
    generate_network(TINY)
    assert checksum() == first
    generate_network(NetworkSpec(**{**TINY.__dict__, "seed": 7}))
    assert checksum() != first


def test_the_database_accepts_the_network_with_every_trigger_on(tiny_network):
    generate_network(TINY, bypass_triggers=False)
    with connection.cursor() as cursor:
        # Runs the deferred foreign-key and consistency triggers now instead of at commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert scalar("SELECT count(*) FROM inventory_saleevent") == 1200


def test_seed_demo_reuses_an_existing_network_and_each_demo_user_logs_in(tiny_network, client):
    before = checksum()
    call_command("seed_demo", stdout=(out := io.StringIO()))
    assert "reusing it unchanged" in out.getvalue()
    assert checksum() == before
    for username in ("admin", "finance", "manager", "manager2", "dealer"):
        assert client.login(username=username, password=DEMO_PASSWORD), username
        assert client.get("/").status_code == 200, username
        client.logout()


def test_seed_demo_reset_rebuilds_the_network_and_gives_each_role_its_scope(tiny_network, monkeypatch):
    monkeypatch.setattr(NetworkSpec, "demo", classmethod(lambda cls, seed, **kwargs: TINY))
    call_command("seed_demo", "--reset", stdout=(out := io.StringIO()))
    assert "Demo network built" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    first_region = Region.objects.order_by("id").first()
    busiest = max(Dealer.objects.filter(region=first_region, kind="4s"), key=lambda dealer: dealer.sales.count())
    dealer_user = User.objects.get(username="dealer")
    assert (dealer_user.role, dealer_user.dealer) == (Role.DEALER_USER, busiest)
    assert list(User.objects.get(username="manager").regions.all()) == [first_region]
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="finance").role == Role.FINANCE
    # The ledger is posted for every disbursed loan whose lender has a policy, and the months
    # before the last two are closed.
    assert scalar("SELECT count(*) FROM finance_commissionentry WHERE kind = 'accrual'") == scalar(
        "SELECT count(*) FROM finance_loan WHERE disbursed_on IS NOT NULL AND lender_id IN "
        "(SELECT lender_id FROM finance_commissionpolicy)"
        " AND (buy_rate IS NOT NULL OR lender_id NOT IN (SELECT lender_id FROM finance_commissionpolicy"
        " WHERE basis = 'reserve'))"
        " AND principal >= COALESCE((SELECT max(min_principal) FROM finance_commissionpolicy p"
        " WHERE p.lender_id = finance_loan.lender_id), 0)"
    )
    assert scalar("SELECT count(*) FROM finance_commissionperiod WHERE status = 'open'") == 2


def test_every_city_of_the_network_has_its_market_of_a_plausible_size(tiny_network):
    markets = {market.city: market for market in CityMarket.objects.select_related("region")}
    assert len(markets) == sum(city.region < TINY.regions for city in CITIES)
    assert all(market.region.code == REGIONS[city.region][0] for city in CITIES if (market := markets.get(city.name)))
    assert set(Dealer.objects.values_list("city", flat=True)) <= set(markets)
    shanghai = markets["上海"]
    assert (shanghai.year, shanghai.population, shanghai.households) == (END.year - 1, 24_870_000, 10_719_828)
    assert (shanghai.disposable_income, shanghai.vehicles_per_1000, shanghai.nev_share) == (
        Decimal("84834.00"),
        Decimal("215.00"),
        Decimal("0.5200"),
    )
    # The two regions' 45 cities, 331 M people: a large part of China's 22.9 M new passenger
    # cars a year (2024); all 118 cities of the eight regions hold 830 M.
    for market in markets.values():  # stored with the inputs, as the capacity model computes it
        capacity = market_capacity(market)
        assert (market.capacity_units, market.nev_capacity_units) == (capacity.units, capacity.nev_units)
    total = sum(market.capacity_units for market in markets.values())
    assert 5_000_000 < total < 15_000_000


def test_the_demo_inspections_are_scored_by_the_rule_and_their_follow_ups_are_consistent(tiny_network):
    from channels.inspections.models import EvidencePhoto, FollowUp, FollowUpStatus, Inspection, InspectionStatus
    from channels.inspections.photos import photo_path
    from channels.inspections.services import checklist_score
    from dealerops.synthetic.demo import demo_users_ensure
    from dealerops.synthetic.inspections import inspections_build

    demo_users_ensure(reset_passwords=False)
    assert inspections_build(TINY) > 0
    submitted = Inspection.objects.exclude(status=InspectionStatus.SCHEDULED).prefetch_related("results__item")
    assert submitted.exists() and Inspection.objects.filter(status=InspectionStatus.SCHEDULED).exists()
    for inspection in submitted:
        results = list(inspection.results.all())
        assert inspection.score == checklist_score((result.item.weight, result.outcome) for result in results)
        failed = [result.pk for result in results if result.outcome == "fail"]
        assert sorted(inspection.follow_ups.values_list("result_id", flat=True)) == sorted(failed)
        open_ones = inspection.follow_ups.exclude(status=FollowUpStatus.ACCEPTED).exists()
        assert (inspection.status == InspectionStatus.SUBMITTED) == open_ones
    assert set(FollowUp.objects.values_list("status", flat=True)) == set(FollowUpStatus.values)
    assert all(photo_path(photo.stored_as).is_file() for photo in EvidencePhoto.objects.all())
