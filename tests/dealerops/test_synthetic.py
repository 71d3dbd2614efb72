"""The generator behind seed_demo and bench/generate.py writes a network that keeps every rule.

It loads with the row triggers switched off, so these checks count violations with SQL,
foreign keys included."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from dealerops.synthetic.generator import NetworkSpec, generate_network

SPEC = NetworkSpec(
    end_date=dt.date(2026, 11, 21), dealers=24, models=9, months=6, sales=3000, customers=1500, stock_on_hand=400
)

VIOLATIONS = {
    "sale before arrival": "SELECT count(*) FROM inventory_sale s JOIN inventory_stockunit u ON u.id = s.stock_unit_id "
    "WHERE s.sold_on < u.arrived_on OR u.dealer_id <> s.dealer_id OR u.status <> 'sold'",
    "loan on a non-loan sale or mismatched amounts": "SELECT count(*) FROM finance_loan l JOIN inventory_sale s ON s.id = l.sale_id "
    "WHERE s.payment <> 'loan' OR l.principal + l.down_payment <> s.transaction_price OR l.dealer_id <> s.dealer_id",
    "loan sale without loan": "SELECT count(*) FROM inventory_sale s WHERE s.payment = 'loan' "
    "AND NOT EXISTS (SELECT 1 FROM finance_loan l WHERE l.sale_id = s.id)",
    "customer of another dealer": "SELECT count(*) FROM inventory_sale s JOIN customers_customer c ON c.id = s.customer_id "
    "WHERE c.home_dealer_id <> s.dealer_id",
    "orphan sale": "SELECT count(*) FROM inventory_sale s LEFT JOIN customers_customer c ON c.id = s.customer_id "
    "LEFT JOIN channels_dealer d ON d.id = s.dealer_id WHERE c.id IS NULL OR d.id IS NULL",
    "orphan lead": "SELECT count(*) FROM channels_lead l LEFT JOIN channels_dealer d ON d.id = l.dealer_id "
    "LEFT JOIN inventory_vehiclemodel m ON m.id = l.model_of_interest_id WHERE d.id IS NULL OR m.id IS NULL",
    "won lead on another dealer's sale": "SELECT count(*) FROM channels_lead l JOIN inventory_sale s ON s.id = l.converted_sale_id "
    "WHERE s.dealer_id <> l.dealer_id OR l.created_at::date > s.sold_on",
    "secondary dealer without a 4S parent": "SELECT count(*) FROM channels_dealer d LEFT JOIN channels_dealer p ON p.id = d.parent_id "
    "WHERE d.kind = 'secondary' AND (p.id IS NULL OR p.kind <> '4s' OR p.region_id <> d.region_id)",
    "orphan visit": "SELECT count(*) FROM customers_servicevisit v LEFT JOIN customers_customer c ON c.id = v.customer_id "
    "WHERE c.id IS NULL OR v.visited_on > '2026-11-21'",
    "stock after the end date": "SELECT count(*) FROM inventory_stockunit WHERE arrived_on > '2026-11-21' OR ordered_on > '2026-11-21'",
}


def scalar(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.fixture
def generated(transactional_db):
    return generate_network(SPEC)


def test_the_generated_network_keeps_every_rule(generated):
    found = {rule: scalar(sql) for rule, sql in VIOLATIONS.items()}
    assert found == dict.fromkeys(VIOLATIONS, 0)


def test_it_has_the_requested_shape(generated):
    sales = scalar("SELECT count(*) FROM inventory_sale")
    assert 2700 <= sales <= 3300
    loan_share = scalar("SELECT count(*) FROM finance_loan") / sales
    assert 0.55 <= loan_share <= 0.65
    assert scalar("SELECT count(*) FROM channels_dealer") == 24
    assert scalar("SELECT count(*) FROM inventory_stockunit WHERE status = 'in_stock'") == 400
    below_floor = scalar(
        "SELECT avg((s.transaction_price < m.guide_price_floor)::int) FROM inventory_sale s "
        "JOIN inventory_stockunit u ON u.id = s.stock_unit_id JOIN inventory_vehiclemodel m ON m.id = u.model_id"
    )
    assert 0.01 <= below_floor <= 0.06


def test_the_same_seed_builds_the_same_network(transactional_db):
    checksum = (
        "SELECT sum(transaction_price), md5(string_agg(u.vin, ',' ORDER BY u.id)) FROM inventory_sale s "
        "JOIN inventory_stockunit u ON u.id = s.stock_unit_id"
    )
    generate_network(SPEC)
    with connection.cursor() as cursor:
        cursor.execute(checksum)
        first = cursor.fetchone()
        generate_network(SPEC)
        cursor.execute(checksum)
        assert cursor.fetchone() == first


def test_seed_demo_reuses_an_existing_network_and_its_users_can_log_in(generated, client, capsys):
    call_command("seed_demo", "--dealers", "24", "--sales", "3000")
    assert "reusing it" in capsys.readouterr().out
    assert scalar("SELECT count(*) FROM channels_dealer") == 24
    for username in ("admin", "finance", "manager", "manager2", "dealer"):
        assert client.login(username=username, password="demo-pass-2026"), username
