from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.services import customer_upsert
from dealerops.audit import history_context
from dealerops.entry_views import EntryView
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedOptionsView
from dealerops.tables import Column
from dealerops.validation import today
from finance.models import Loan
from finance.services.loans import LoanTerms, loan_sale_record
from inventory.filtersets import SaleFilterSet, StockUnitFilterSet, VehicleModelFilterSet
from inventory.forms import SaleForm, StockArrivalForm
from inventory.models import Payment, Sale, StockStatus, StockUnit, VehicleModel
from inventory.services import stock_arrival_record
from inventory.stock_metrics import unit_ageing
from inventory.tracking.selectors import unit_track
from inventory.transfers.selectors import unit_transfers

# A vehicle model exports as its name ("Brand Series Trim"), read without loading the model.
MODEL_NAME = ("model__brand", "model__series", "model__trim")
MODEL_NAME_VIA_UNIT = tuple(f"stock_unit__{lookup}" for lookup in MODEL_NAME)


class SaleListView(ScopedListView):
    model = Sale
    filterset_class = SaleFilterSet
    title = _("Sales")
    create_url_name = "inventory:sale-create"
    columns = [
        Column(_("Sold on"), "sold_on", order="sold_on", link=True),
        Column(_("Dealer"), "dealer.name"),
        Column(_("VIN"), "stock_unit.vin", link=True),
        Column(_("Model"), "stock_unit.model", export=MODEL_NAME_VIA_UNIT),
        Column(_("Customer"), "customer.name"),
        Column(_("Price"), "transaction_price", kind="money", order="transaction_price"),
        Column(_("Payment"), "payment", kind="choice"),
    ]

    def base_queryset(self):
        return Sale.objects.select_related("dealer", "stock_unit__model", "customer")


class SaleDetailView(ScopedDetailView):
    model = Sale
    template_name = "inventory/sale_detail.html"

    def base_queryset(self):
        return Sale.objects.select_related("dealer", "stock_unit__model", "customer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["loans"] = Loan.objects.filter(sale=self.object).select_related("lender")
        context.update(history_context(self.request, self.object))
        return context


class SaleCreateView(EntryView):
    model = Sale
    form_class = SaleForm
    title = _("Record a sale")
    success_message = _("The sale has been recorded.")

    def save(self, form) -> Sale:
        data = form.cleaned_data
        dealer = form.chosen_dealer()
        customer = data["customer"] or customer_upsert(
            dealer=dealer, name=data["customer_name"], phone=data["customer_phone"], city=data["customer_city"]
        )
        terms = None
        if data["payment"] == Payment.LOAN:
            terms = LoanTerms(
                reference=data["loan_reference"],
                lender=data["lender"],
                down_payment=data["down_payment"],
                annual_rate=form.annual_rate(),
                term_months=data["term_months"],
                credit_grade=data["credit_grade"],
                applied_on=data["applied_on"],
            )
        return loan_sale_record(
            loan_terms=terms,
            entered_by=self.request.user,
            dealer=dealer,
            stock_unit=data["stock_unit"],
            customer=customer,
            salesperson=data["salesperson"],
            sold_on=data["sold_on"],
            transaction_price=data["transaction_price"],
            payment=data["payment"],
            registered_city=data["registered_city"],
        )


class StockListView(ScopedListView):
    model = StockUnit
    filterset_class = StockUnitFilterSet
    title = _("Stock")
    create_url_name = "inventory:stock-arrival"
    columns = [
        Column(_("VIN"), "vin", order="vin", link=True),
        Column(_("Model"), "model", export=MODEL_NAME),
        Column(_("Colour"), "colour"),
        Column(_("Dealer"), "dealer.name"),
        Column(_("Status"), "status", kind="choice"),
        Column(_("Ordered on"), "ordered_on", order="ordered_on"),
        Column(_("ETA"), "eta", order="eta"),
        Column(_("Arrived on"), "arrived_on", order="arrived_on"),
    ]

    def base_queryset(self):
        return StockUnit.objects.select_related("model", "dealer")


class StockDetailView(ScopedDetailView):
    model = StockUnit
    template_name = "inventory/stock_detail.html"

    def base_queryset(self):
        return StockUnit.objects.select_related("model", "dealer")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sale"] = Sale.objects.filter(stock_unit=self.object).first()
        context["track"] = unit_track(self.object)
        context["transfers"] = unit_transfers(self.object)
        context["ageing"] = unit_ageing(self.object, as_of=today())
        context.update(history_context(self.request, self.object))
        return context


class StockArrivalView(EntryView):
    model = StockUnit
    form_class = StockArrivalForm
    title = _("Record a stock arrival")
    success_message = _("The arrival has been recorded.")

    def save(self, form) -> StockUnit:
        data = form.cleaned_data
        return stock_arrival_record(
            dealer=form.chosen_dealer(),
            vin=data["vin"],
            model=data["model"],
            arrived_on=data["arrived_on"],
            ordered_on=data["ordered_on"],
            colour=data["colour"],
        )


class VehicleModelListView(ScopedListView):
    model = VehicleModel
    filterset_class = VehicleModelFilterSet
    title = _("Vehicle models")
    columns = [
        Column(_("Code"), "code", order="code", link=True),
        Column(_("Brand"), "brand"),
        Column(_("Series"), "series"),
        Column(_("Trim"), "trim"),
        Column(_("Powertrain"), "powertrain", kind="choice"),
        Column(_("MSRP"), "msrp", kind="money", order="msrp"),
        Column(_("Guide-price floor"), "guide_price_floor", kind="money"),
        Column(_("Launch date"), "launch_date", order="launch_date"),
    ]


class VehicleModelDetailView(ScopedDetailView):
    model = VehicleModel
    template_name = "inventory/vehicle_model_detail.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **history_context(self.request, self.object)}


class StockUnitOptionsView(ScopedOptionsView):
    """Units in stock for the sale form's picker: by VIN, model code, brand, series, trim or
    colour (each word typed narrows: "h5 白"); the longest in stock first (the ones to sell).
    Each option names the unit's model and colour beside its VIN."""

    model = StockUnit

    def base_queryset(self):
        return (
            StockUnit.objects.filter(status=StockStatus.IN_STOCK).select_related("model").order_by("arrived_on", "vin")
        )

    def search(self, rows, query):
        found = Q()
        for word in query.split()[:4]:
            found &= (
                Q(vin__icontains=word)
                | Q(model__code__icontains=word)
                | Q(model__brand__icontains=word)
                | Q(model__series__icontains=word)
                | Q(model__trim__icontains=word)
                | Q(colour__icontains=word)
            )
        return rows.filter(found)

    def option(self, unit):
        arrived = _("in stock since %(date)s") % {"date": unit.arrived_on.isoformat()} if unit.arrived_on else ""
        detail = " · ".join(filter(None, [str(unit.model), unit.colour, arrived]))
        return {"value": unit.vin, "label": unit.vin, "detail": detail}
