"""Transfer pages: the list (both dealers' scopes), a transfer with its steps, and the plan
page where head office or a regional manager plans one model."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View

from channels.models import Dealer
from dealerops.access import can_write, role_of, scope
from dealerops.entry_views import EntryView
from dealerops.models import Role
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column
from dealerops.validation import today
from inventory.transfers.filtersets import TransferFilterSet
from inventory.transfers.forms import TransferPlanForm
from inventory.transfers.models import Transfer, TransferPlan, TransferStatus
from inventory.transfers.planning import transfer_plan_create
from inventory.transfers.services import may_take_step, transfer_step

STEP_MESSAGES = {
    "confirm": _("Transfer confirmed: the unit is on its way."),
    "decline": _("Transfer declined."),
    "arrive": _("Arrival recorded: the unit is in stock at the receiving dealer."),
}

STEP_REFUSED = {
    "confirm": _("Only the sending dealer or head office confirms a transfer."),
    "decline": _("Only the sending dealer or head office declines a transfer."),
    "arrive": _("Only the receiving dealer or head office records the arrival."),
}


class TransferListView(ScopedListView):
    model = Transfer
    filterset_class = TransferFilterSet
    title = _("Transfers")
    columns = [
        Column(_("Proposed at"), "proposed_at", order="proposed_at", link=True),
        Column(_("VIN"), "stock_unit.vin"),
        Column(_("Model"), "stock_unit.model", export=("stock_unit__model__series", "stock_unit__model__trim")),
        Column(_("From dealer"), "from_dealer.name"),
        Column(_("To dealer"), "to_dealer.name"),
        Column(_("Distance (km)"), "distance_km", kind="number"),
        Column(_("Cost"), "cost", kind="money", order="cost"),
        Column(_("Status"), "status", kind="choice"),
        Column(_("ETA"), "eta"),
        Column(_("Arrived on"), "arrived_on"),
    ]

    def base_queryset(self):
        return Transfer.objects.select_related("stock_unit__model", "from_dealer", "to_dealer")


class TransferDetailView(ScopedDetailView):
    model = Transfer
    template_name = "inventory/transfer_detail.html"

    def base_queryset(self):
        return Transfer.objects.select_related("stock_unit__model", "from_dealer", "to_dealer", "plan")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        transfer = self.object
        context["can_decide"] = transfer.status == TransferStatus.PROPOSED and may_take_step(
            self.request.user, transfer, "confirm"
        )
        context["can_receive"] = transfer.status == TransferStatus.CONFIRMED and may_take_step(
            self.request.user, transfer, "arrive"
        )
        context["today"] = today()
        return context


class TransferStepView(ScopedMixin, View):
    """POST: confirm (with ``eta``), decline, or record the arrival (``arrived_on``)."""

    model = Transfer
    http_method_names = ["post"]
    step = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not can_write(request.user, Transfer):
            raise PermissionDenied
        try:
            transfer_step(user=request.user, pk=pk, step=self.step, data=request.POST)
        except ObjectDoesNotExist:
            raise Http404 from None
        except PermissionDenied:
            # A dealer of the transfer whose step this is not: said on the transfer's page.
            messages.error(request, STEP_REFUSED[self.step])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, STEP_MESSAGES[self.step])
        return redirect("inventory:transfer-detail", pk=pk)


class TransferPlanView(EntryView):
    """Run the plan of one model (a regional manager's among their regions' dealers)."""

    model = TransferPlan
    form_class = TransferPlanForm
    template_name = "inventory/transfer_plan.html"
    title = _("Transfer plan")
    success_message = _("The plan has been computed; its transfers are proposed to the dealers.")

    def save(self, form) -> TransferPlan:
        data = form.cleaned_data
        user = self.request.user
        dealers = None if role_of(user) == Role.HEAD_OFFICE else list(scope(user, Dealer).values_list("pk", flat=True))
        plan, _result = transfer_plan_create(
            data["model"],
            as_of=today(),
            max_hours=float(data["max_hours"]),
            cost_per_km=data["cost_per_km"],
            handling_cost=data["handling_cost"],
            by=user,
            dealers=dealers,
        )
        return plan

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["plans"] = scope(self.request.user, TransferPlan).select_related("model", "created_by")[:20]
        return context


class TransferPlanDetailView(ScopedDetailView):
    model = TransferPlan
    template_name = "inventory/transfer_plan_detail.html"

    def base_queryset(self):
        return TransferPlan.objects.select_related("model", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lines"] = (
            scope(self.request.user, self.object.transfers.all())
            .select_related("stock_unit", "from_dealer", "to_dealer")
            .order_by("from_dealer__name", "to_dealer__name", "stock_unit__vin")
        )
        return context
