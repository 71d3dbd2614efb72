"""Head office's network leads (website, app, hotline, partner platforms) through the data hub:
a network file of no dealer, every row checked by the routing's own rules and routed on import
exactly as a lead from the API; a lead imported before is left as it was routed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from channels.models import AssignmentKind, DealerKind, Lead, LeadAssignment, LeadSource
from datahub.models import ImportBatch, ImportKind, ImportStatus, SourceKind
from datahub.services import import_batch_upload
from dealerops.audit import history_of
from tests.datahub.helpers import confirm, errors_of, run_import
from tests.factories import DealerFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db

HEADER = "线索编号,留资时间,线索来源,客户城市,纬度,经度,意向车型,渠道偏好,客户姓名,手机号,线上订单\n"
GOOD = HEADER + (
    # Beside the Hangzhou store, by the customer's coordinates.
    "WEB-0001,2026-11-02 10:15,官网,杭州,30.274000,120.155000,H5,4S店,王先生,138 0013 8000,否\n"
    # No coordinates: Chengdu's centre is where its dealers are.
    "APP-0002,2026-11-02 11:00,小程序,Chengdu,,,,,,,是\n"
    # A secondary dealer wanted, and Hangzhou has one.
    "400-0003,2026-11-02 12:30,400电话,杭州,30.274000,120.155000,,二级网点,,,\n"
)


@pytest.fixture
def h5(db):
    return VehicleModelFactory(code="H5")


@pytest.fixture(autouse=True)
def chengdu(network):
    """The Chengdu store where Chengdu is."""
    network.foreign_dealer.latitude, network.foreign_dealer.longitude = Decimal("30.572816"), Decimal("104.066801")
    network.foreign_dealer.save()


@pytest.fixture
def outlet(network):
    return DealerFactory(
        code="HZ02",
        name="Hangzhou Binjiang outlet",
        kind=DealerKind.SECONDARY,
        parent=network.home_dealer,
        region=network.home_region,
    )


def test_a_file_creates_and_routes_every_lead_and_a_second_import_leaves_them_as_routed(
    network, h5, outlet, client_for
):
    batch = run_import(network, ImportKind.NETWORK_LEADS, GOOD)
    assert batch.dealer is None and batch.file_errors == []
    assert (batch.status, batch.rows_create, batch.rows_error) == (ImportStatus.READY, 3, 0)
    assert not Lead.objects.exists()  # the preview writes nothing

    assert confirm(network, batch).status == ImportStatus.IMPORTED
    leads = {lead.network_reference: lead for lead in Lead.objects.all()}
    assert set(leads) == {"WEB-0001", "APP-0002", "400-0003"}
    web, app, hotline = leads["WEB-0001"], leads["APP-0002"], leads["400-0003"]
    assert (web.dealer, web.source, web.model_of_interest) == (network.home_dealer, LeadSource.WEBSITE, h5)
    assert (web.customer_name, web.customer_phone, web.channel_preference) == ("王先生", "13800138000", "4s")
    assert (web.customer_latitude, web.customer_longitude) == (Decimal("30.274000"), Decimal("120.155000"))
    assert (app.dealer, app.source, app.online_order) == (network.foreign_dealer, LeadSource.APP, True)
    assert hotline.dealer == outlet and hotline.source == LeadSource.PHONE
    for lead in leads.values():  # routed as the API routes: assigned, with a contact deadline
        assert lead.assigned_at is not None and lead.sla_due_at >= lead.assigned_at
        routed = LeadAssignment.objects.get(lead=lead, kind=AssignmentKind.ROUTED)
        assert routed.dealer == lead.dealer and routed.candidates
    # Audited: the lead's trail names the import and who confirmed it.
    created = history_of(web, viewer=network.head_office)[0]
    assert created.action == "insert" and created.user == "headoffice"
    # The dealer it went to sees the platform's reference on the lead's page.
    page = client_for(network.dealer_user).get(web.get_absolute_url())
    assert (
        page.status_code == 200
        and "Network lead reference" in page.content.decode()
        and "WEB-0001" in page.content.decode()
    )

    again = run_import(network, ImportKind.NETWORK_LEADS, GOOD)
    assert (again.rows_create, again.rows_update, again.rows_unchanged, again.rows_error) == (0, 0, 3, 0)
    assert "imported and routed before" in again.rows.get(row_number=2).notes[0]
    assert confirm(network, again).status == ImportStatus.IMPORTED
    assert Lead.objects.count() == 3 and LeadAssignment.objects.count() == 3


def test_a_bad_file_writes_nothing_and_names_each_row_and_column(network, h5):
    bad = HEADER + (
        "WEB-0101,2026-11-02 10:15,官网,Hangzhou,30.274000,,,,,,\n"  # a latitude alone
        "WEB-0102,2099-01-01 10:00,官网,Hangzhou,,,,,,,\n"  # in the future
        "WEB-0103,2026-11-02 10:15,官网,拉萨,,,,,,,\n"  # a city nobody knows, no coordinates
        "WEB-0104,2026-11-02 10:15,官网,Hangzhou,,,H9,,,,\n"  # no such model
        "WEB-0105,2026-11-02 10:15,官网,Hangzhou,,,,摩托车店,,,\n"
        "WEB-0106,2026-11-02 10:15,官网,Hangzhou,,,,,,12345,\n"
        "WEB-0107,2026-11-02 10:15,官网,Hangzhou,-33.870000,151.210000,,,,,\n"  # Sydney
        "WEB-0101,2026-11-02 10:15,官网,Hangzhou,,,,,,,\n"  # the first row's reference again
        "WEB-0109,2026-11-02 10:15,官网,Hangzhou,,,,,,,\n"  # a good row: nothing is written either
    )
    batch = run_import(network, ImportKind.NETWORK_LEADS, bad)
    assert batch.status == ImportStatus.INVALID and batch.rows_error == 8
    errors = {(row, column): message for row, column, message in errors_of(batch)}
    assert errors[(2, "经度")] == "Give both coordinates of the customer, or neither."
    assert errors[(3, "留资时间")] == "the date 2099-01-01 is in the future."
    assert errors[(4, "客户城市")].startswith("No dealer or city market is known in 拉萨")
    assert errors[(5, "意向车型")] == "no vehicle model has the code H9."
    assert "4S店 / 城市展厅 / 二级网点" in errors[(6, "渠道偏好")]
    assert "11-digit" in errors[(7, "手机号")]
    assert "outside China" in errors[(8, "纬度")] and "outside China" in errors[(8, "经度")]
    assert errors[(9, "线索编号")] == "WEB-0101 is already on row 2."
    assert not Lead.objects.exists()


def upload(user):
    return import_batch_upload(
        user=user,
        dealer=None,
        kind=ImportKind.NETWORK_LEADS,
        source=SourceKind.SPREADSHEET,
        system_name="线索平台",
        file_name="leads.csv",
        content=GOOD.encode(),
    )


def test_only_head_office_imports_the_networks_leads(network):
    for user in (network.dealer_user, network.regional_manager, network.finance_user):
        with pytest.raises(ValidationError) as refused:
            upload(user)
        assert "head office imports them" in refused.value.message_dict["kind"][0]
    assert not ImportBatch.objects.exists()
