"""Head office's changes export is written by PostgreSQL (dealerops.audit_export): its lines
are the ones the changes page's entries make (audit.audit_entries), field for field."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pghistory
import pytest
from django.conf import settings
from django.db.models import ForeignKey
from django.utils import translation
from openpyxl import load_workbook

from channels.models import Dealer
from customers.models import Customer
from datahub.models import ImportBatch
from dealerops.audit import AUDITED, ChangeFilters, audit_entries, change_events, shown_fields
from dealerops.audit_export import RECORD_NAMES
from dealerops.exports import _csv_cell
from finance.models import Loan
from inventory.models import Sale, StockUnit
from tests.dealerops.test_audit import CHANGES_URL, import_batch
from tests.factories import CustomerFactory, LeadFactory, LeadPageFactory, LoanFactory, SaleFactory, ServiceVisitFactory


def expected_lines(viewer, filters: ChangeFilters) -> list[list[str]]:
    """The export's lines as the changes page's entries give them, formatted as CSV cells."""
    events = change_events(viewer, filters)
    entries = audit_entries(viewer, ((label, pk) for label, pk, _at in events))
    names = {dealer.pk: str(dealer) for dealer in Dealer.objects.filter(pk__in={entry.dealer_id for entry in entries})}
    lines = []
    for entry in entries:
        head = [
            entry.at,
            entry.user,
            entry.source,
            entry.action_label,
            entry.model_name,
            entry.object_id,
            names.get(entry.dealer_id, ""),
        ]
        for change in entry.fields or [None]:
            tail = ["", "", ""] if change is None else [change.label, change.before, change.after]
            lines.append([str(_csv_cell(value)) for value in [*head, *tail]])
    return lines


def exported(client, params) -> list[list[str]]:
    response = client.get(CHANGES_URL, {**params, "export": "csv"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))[1:]


@pytest.fixture
def history(network):
    """Events of every kind: inserts, updates by a user, by an import and by a job, an update
    that changes no shown field, a delete; choices, money, yes/no, phones, related records."""
    dealer = network.home_dealer
    loan = LoanFactory(sale__dealer=dealer)
    sale = loan.sale
    edited = SaleFactory(dealer=dealer, transaction_price=Decimal("195000.00"), payment="cash")
    visit = ServiceVisitFactory(customer=sale.customer, dealer=dealer)
    LeadFactory(dealer=dealer, converted_sale=sale, lead_page=LeadPageFactory(dealer=dealer))
    with pghistory.context(user=network.dealer_user.pk):
        Sale.objects.filter(pk=edited.pk).update(
            transaction_price=Decimal("194000.50"), salesperson="+Li", payment="lease"
        )
        Customer.objects.filter(pk=sale.customer_id).update(marketing_consent=True, phone="13900001111")
    batch = import_batch(network, network.dealer_user, file_name="dms=1.xlsx")
    with pghistory.context(import_batch=batch.pk):
        StockUnit.objects.filter(pk=sale.stock_unit_id).update(colour="Red")
    with pghistory.context(job="loan_status"):
        Loan.objects.filter(pk=loan.pk).update(status="defaulted", closed_on=loan.disbursed_on)
    # An update of a column the trail does not show: a line without a field.
    Customer.objects.filter(pk=sale.customer_id).update(updated_at=sale.customer.updated_at + timedelta(seconds=1))
    visit.delete()
    CustomerFactory(home_dealer=dealer)
    return dealer


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_export_lines_are_the_changes_pages_entries(network, client_for, history, language):
    client = client_for(network.head_office)
    with translation.override(language):
        expected = expected_lines(network.head_office, ChangeFilters(dealer_id=history.pk))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    lines = exported(client, {"dealer": history.pk})
    assert len(lines) > 40
    assert lines == expected
    actions = {line[3] for line in lines}
    assert len(actions) == 3  # created, changed, deleted
    assert any(line[7] == "" for line in lines)  # the update without a shown field


@pytest.mark.django_db
def test_the_export_names_who_and_the_source_and_keeps_formulas_out(network, client_for, history):
    lines = exported(client_for(network.head_office), {"dealer": history.pk})
    by_field = {(line[4], line[7]): line for line in lines if line[3] == "Changed"}
    price = by_field[("sale", "transaction price")]
    assert (price[1], price[8], price[9]) == ("dealer", "195000.00", "194000.50")
    assert by_field[("sale", "salesperson")][9] == "'+Li"
    colour = by_field[("stock unit", "exterior colour")]
    batch = ImportBatch.objects.get(file_name="dms=1.xlsx")
    assert (colour[1], colour[2], colour[9]) == (f"Import #{batch.pk} (dms=1.xlsx)",) * 2 + ("Red",)
    status = by_field[("loan", "status")]
    assert (status[1], status[2], status[9]) == ("Nightly job loan_status", "Nightly job loan_status", "Defaulted")
    assert by_field[("customer", "consents to marketing")][9] == "Yes"


@pytest.mark.django_db
def test_the_export_as_a_workbook_has_the_same_lines(network, client_for, history):
    client = client_for(network.head_office)
    lines = exported(client, {"dealer": history.pk})
    response = client.get(CHANGES_URL, {"dealer": history.pk, "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines, strict=True):
        assert row[0].strftime("%Y-%m-%d %H:%M:%S") == line[0]
        assert (str(row[5]), *("" if cell is None else str(cell) for cell in row[7:8])) == (line[5], line[7])
    price = next(row for row in rows if row[7] == "transaction price" and row[3] == "Changed")
    assert (float(price[8]), float(price[9])) == (195000.0, 194000.5)


@pytest.mark.django_db
def test_every_related_record_is_named_as_its_page_names_it(network, history):
    targets = {
        tracked.related_model
        for audited in AUDITED.values()
        for tracked in shown_fields(audited)
        if isinstance(tracked, ForeignKey)
    }
    assert {model._meta.label for model in targets} == set(RECORD_NAMES)
    for model in targets:
        rows = list(model._default_manager.all()[:5])
        assert rows, model
        named = dict(
            model._default_manager.filter(pk__in=[row.pk for row in rows]).values_list(
                "pk", RECORD_NAMES[model._meta.label]()
            )
        )
        assert named == {row.pk: str(row) for row in rows}
