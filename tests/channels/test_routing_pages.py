"""The routing's pages as users meet them: the public lead page (no login, consent, CSRF, a
flood refused), the lead's page explaining its assignment, the lead form and API, the routing
settings and the lead pages with their QR codes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from channels.models import (
    AssignmentKind,
    Dealer,
    DealerStatus,
    Lead,
    LeadAssignment,
    LeadOutcome,
    LeadPage,
    RoutingSettings,
)
from channels.routing.services import NewLead, lead_create
from tests.factories import DealerFactory, LeadPageFactory, SaleFactory

pytestmark = pytest.mark.django_db

LAT, LON = Decimal("30.270000"), Decimal("120.150000")
FORM = {
    "customer_name": "王女士",
    "customer_phone": "13912345678",
    "customer_city": "Hangzhou",
    "channel_preference": "",
    "consent": "on",
}


def near(network, code: str, km: float, **fields):
    return DealerFactory(
        code=code,
        name=f"Store {code}",
        region=network.home_region,
        latitude=(LAT + Decimal(km / 111.2)).quantize(Decimal("0.000001")),
        longitude=LON,
        **fields,
    )


@pytest.fixture(autouse=True)
def network_far_away(network):
    """The fixture's two dealers stand in Ningbo and Chengdu, beyond these tests' reach."""
    Dealer.objects.filter(pk=network.home_dealer.pk).update(
        latitude=Decimal("29.870000"), longitude=Decimal("121.550000")
    )
    Dealer.objects.filter(pk=network.foreign_dealer.pk).update(
        latitude=Decimal("30.660000"), longitude=Decimal("104.060000")
    )


@pytest.fixture
def page(network):
    return LeadPageFactory(name="Spring test drive", region=network.home_region)


# -- the public lead page ----------------------------------------------------------------------


def test_the_public_page_works_without_login_and_the_thanks_page_names_the_store(network, page, client):
    store = near(network, "HZ09", 3)
    form = client.get(f"/l/{page.code}/")
    assert form.status_code == 200 and "Spring test drive" in form.content.decode()
    answer = client.post(f"/l/{page.code}/", FORM)
    assert answer.status_code == 302
    lead = Lead.objects.get()
    assert (lead.dealer, lead.source, lead.lead_page, lead.customer_phone) == (store, "qr_code", page, "13912345678")
    assert lead.consent_at is not None and lead.sla_due_at is not None
    thanks = client.get(answer["Location"])
    assert thanks.status_code == 200 and "Store HZ09" in thanks.content.decode()


def test_the_public_page_needs_consent_and_writes_nothing_without_it(network, page, client):
    near(network, "HZ09", 3)
    answer = client.post(f"/l/{page.code}/", {**FORM, "consent": ""})
    assert answer.status_code == 200 and "without it no store may call you" in answer.content.decode()
    assert not Lead.objects.exists()


def test_the_public_page_names_a_bad_phone_or_an_unknown_city(network, page, client):
    near(network, "HZ09", 3)
    bad = client.post(f"/l/{page.code}/", {**FORM, "customer_phone": "12345"})
    assert bad.status_code == 200 and "11-digit mainland mobile number" in bad.content.decode()
    unknown = client.post(f"/l/{page.code}/", {**FORM, "customer_city": "Atlantis"})
    assert "No dealer or city market is known in Atlantis" in unknown.content.decode()
    assert not Lead.objects.exists()


def test_the_public_page_refuses_a_post_without_its_csrf_token(network, page):
    near(network, "HZ09", 3)
    answer = Client(enforce_csrf_checks=True).post(f"/l/{page.code}/", FORM)
    assert answer.status_code == 403 and not Lead.objects.exists()


def test_the_public_page_refuses_a_flood_from_one_address(network, page, client):
    near(network, "HZ09", 3)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    limit = settings.LEAD_PAGE_POSTS_PER_ADDRESS
    answers = [client.post(f"/l/{page.code}/", FORM, REMOTE_ADDR="10.0.0.7") for _ in range(limit + 2)]
    assert [answer.status_code for answer in answers] == [302] * limit + [429, 429]
    assert "请求过多" in answers[-1].content.decode() and int(answers[-1]["Retry-After"]) > 0
    assert Lead.objects.count() == limit
    # Another address is not held back by the first one's flood.
    assert client.post(f"/l/{page.code}/", FORM, REMOTE_ADDR="10.0.0.8").status_code == 302


def test_a_switched_off_or_unknown_page_and_a_forged_thanks_link_answer_404(network, page, client):
    assert client.get("/l/nosuchpage/").status_code == 404
    LeadPage.objects.filter(pk=page.pk).update(active=False)
    assert client.get(f"/l/{page.code}/").status_code == 404
    assert client.get(f"/l/{page.code}/thanks/1:forged/").status_code == 404


def test_a_dealers_page_routes_to_its_dealer_and_shows_no_other_record(network, client):
    own = near(network, "PAGE", 30)
    near(network, "CLOSE", 1)
    page = LeadPageFactory(dealer=own, name=own.name)
    text = client.get(f"/l/{page.code}/").content.decode()
    assert "Store CLOSE" not in text and "Chengdu Jinjiang 4S" not in text
    client.post(f"/l/{page.code}/", FORM)
    assert Lead.objects.get().dealer == own


# -- the lead's page ---------------------------------------------------------------------------


def routed_lead(network):
    near(network, "A1", 2), near(network, "B2", 8)
    foreign = network.foreign_dealer
    foreign.latitude, foreign.longitude = LAT, LON + Decimal("0.05")
    foreign.save()
    return lead_create(
        lead=NewLead(
            source="website",
            customer_city="Hangzhou",
            created_at=dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC),
            customer_latitude=LAT,
            customer_longitude=LON,
        ),
        at=dt.datetime(2026, 11, 2, 10, 5, tzinfo=dt.UTC),
    )


def test_the_lead_page_explains_the_assignment_with_every_candidates_score_parts(network, client_for):
    lead = routed_lead(network)
    text = client_for(network.head_office).get(f"/leads/{lead.pk}/").content.decode()
    assert "How it was routed" in text and "Highest score among the candidates" in text
    for code in ("A1", "B2", "CD01"):
        assert code in text
    assert "Open-lead load" in text and "Conversion, 90 days" in text


def test_a_dealer_user_sees_its_own_line_and_not_the_other_dealers_figures(network, client_for):
    lead = routed_lead(network)
    Lead.objects.filter(pk=lead.pk).update(dealer=network.home_dealer)
    LeadAssignment.objects.filter(lead=lead).update(dealer=network.home_dealer)
    text = client_for(network.dealer_user).get(f"/leads/{lead.pk}/").content.decode()
    assert "Store A1" not in text and "Chengdu Jinjiang 4S" not in text
    assert "other dealers were candidates" in text


def test_the_dealer_records_first_contact_and_the_sale_on_the_lead_page(network, client_for):
    at = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    lead = lead_create(
        lead=NewLead(source="walk_in", customer_city="Hangzhou", created_at=at, own_dealer_id=network.home_dealer.pk),
        at=at,
    )
    client = client_for(network.dealer_user)
    answer = client.post(
        f"/leads/{lead.pk}/follow-up/", {"first_contact_at": "2026-11-02T19:00", "outcome": LeadOutcome.CONTACTED}
    )
    assert answer.status_code == 302
    lead.refresh_from_db()
    assert lead.first_contact_at == dt.datetime(2026, 11, 2, 19, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    other = SaleFactory(dealer=network.foreign_dealer)
    refused = client.post(f"/leads/{lead.pk}/follow-up/", {"converted_vin": other.stock_unit.vin}, follow=True)
    assert f"The dealer has no sale of the VIN {other.stock_unit.vin}" in refused.content.decode()
    sale = SaleFactory(dealer=network.home_dealer)
    client.post(f"/leads/{lead.pk}/follow-up/", {"outcome": "", "converted_vin": sale.stock_unit.vin.lower()})
    lead.refresh_from_db()
    assert (lead.outcome, lead.converted_sale) == (LeadOutcome.WON, sale)


def test_a_call_in_the_minute_the_lead_came_in_is_taken_and_an_earlier_one_refused(network, client_for):
    # The form reads minutes; the lead was assigned at 10:00:40 (18:00:40 in Shanghai).
    at = dt.datetime(2026, 11, 2, 10, 0, 40, tzinfo=dt.UTC)
    lead = lead_create(
        lead=NewLead(source="walk_in", customer_city="Hangzhou", created_at=at, own_dealer_id=network.home_dealer.pk),
        at=at,
    )
    client = client_for(network.dealer_user)
    early = client.post(f"/leads/{lead.pk}/follow-up/", {"first_contact_at": "2026-11-02T17:59"}, follow=True)
    assert "The first contact cannot precede the lead&#x27;s assignment (2026-11-02 18:00)" in early.content.decode()
    lead.refresh_from_db()
    assert lead.first_contact_at is None
    answer = client.post(f"/leads/{lead.pk}/follow-up/", {"first_contact_at": "2026-11-02T18:00", "outcome": ""})
    assert answer.status_code == 302
    lead.refresh_from_db()
    assert lead.first_contact_at == at


def test_a_regional_manager_cannot_work_a_lead(network, client_for):
    lead = routed_lead(network)
    Lead.objects.filter(pk=lead.pk).update(dealer=network.home_dealer)
    answer = client_for(network.regional_manager).post(f"/leads/{lead.pk}/follow-up/", {"outcome": "lost"})
    assert answer.status_code == 403


# -- the lead form and the API -----------------------------------------------------------------


def test_head_office_enters_a_lead_that_is_routed(network, client_for):
    store = near(network, "A1", 2)
    client = client_for(network.head_office)
    assert client.get("/leads/new/").status_code == 200
    answer = client.post(
        "/leads/new/",
        {"source": "phone", "customer_city": "Hangzhou", "customer_latitude": LAT, "customer_longitude": LON},
    )
    assert answer.status_code == 302
    assert Lead.objects.get().dealer == store


def test_the_lead_form_names_coordinates_outside_china_and_writes_nothing(network, client_for):
    near(network, "A1", 2)
    answer = client_for(network.head_office).post(
        "/leads/new/",
        {"source": "phone", "customer_city": "Hangzhou", "customer_latitude": "48.85", "customer_longitude": "2.35"},
    )
    assert answer.status_code == 200
    assert "lies outside China" in answer.content.decode()
    assert not Lead.objects.exists()


def test_a_dealer_users_lead_is_its_own(network, client_for):
    near(network, "A1", 0)
    client_for(network.dealer_user).post("/leads/new/", {"source": "walk_in", "customer_city": "Hangzhou"})
    lead = Lead.objects.get()
    assert lead.dealer == network.home_dealer and lead.assignments.get().kind == AssignmentKind.OWN


def test_the_api_creates_a_routed_lead_and_names_bad_fields(network):
    store = near(network, "A1", 2)
    api = APIClient()
    api.force_authenticate(network.head_office)
    created = api.post(
        "/api/v1/leads/",
        {
            "source": "website",
            "customer_city": "Hangzhou",
            "customer_latitude": "30.27",
            "customer_longitude": "120.15",
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["dealer"] == store.pk
    assert created.json()["sla_due_at"] is not None
    refused = api.post("/api/v1/leads/", {"source": "website", "customer_city": ""}, format="json")
    assert refused.status_code == 400 and "customer_city" in refused.json()
    outside = api.post(
        "/api/v1/leads/",
        {"source": "website", "customer_city": "Hangzhou", "customer_latitude": "60", "customer_longitude": "120"},
        format="json",
    )
    assert outside.status_code == 400 and "customer_latitude" in outside.json()
    assert Lead.objects.count() == 1
    api.force_authenticate(network.regional_manager)
    assert api.post("/api/v1/leads/", {"source": "website", "customer_city": "Hangzhou"}).status_code == 403


# -- settings and lead pages -------------------------------------------------------------------


def test_head_office_puts_a_new_settings_version_in_force(network, client_for):
    client = client_for(network.head_office)
    form = client.get("/leads/routing/")
    assert form.status_code == 200
    data = dict(form.context["form"].initial)
    answer = client.post("/leads/routing/", {**data, "distance_weight": "5", "note": "distance first"})
    assert answer.status_code == 302
    assert RoutingSettings.objects.first().distance_weight == Decimal("5")
    refused = client.post("/leads/routing/", {**data, "reach_km": "1"})
    assert refused.status_code == 400 and RoutingSettings.objects.count() == 2


def test_a_regional_manager_reads_the_settings_and_a_dealer_user_does_not(network, client_for):
    manager = client_for(network.regional_manager).get("/leads/routing/")
    assert manager.status_code == 200 and manager.context["form"] is None
    assert client_for(network.regional_manager).post("/leads/routing/", {}).status_code == 403
    assert client_for(network.dealer_user).get("/leads/routing/").status_code == 403


def test_the_lead_pages_list_their_qr_codes_and_give_every_active_dealer_one(network, client_for, page):
    client = client_for(network.head_office)
    network.foreign_dealer.status = DealerStatus.PROBATION
    network.foreign_dealer.save()
    client.post("/leads/pages/", {"action": "dealer-pages"})
    assert set(LeadPage.objects.exclude(dealer=None).values_list("dealer", flat=True)) == {network.home_dealer.pk}
    listing = client.get("/leads/pages/").content.decode()
    assert listing.count("<svg") == 2 and f"/l/{page.code}/" in listing
    png = client.get(f"/leads/pages/{page.pk}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    client.post("/leads/pages/", {"name": "National autumn", "region": "", "model_of_interest": ""})
    assert LeadPage.objects.filter(name="National autumn", region=None, dealer=None).exists()
