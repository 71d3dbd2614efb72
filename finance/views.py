from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from dealerops.access import can_write, scope
from dealerops.audit import history_of
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column, format_yuan
from finance.filtersets import (
    CommissionEntryFilterSet,
    CommissionPeriodFilterSet,
    CommissionPolicyFilterSet,
    LoanFilterSet,
)
from finance.models import CommissionEntry, CommissionPeriod, CommissionPolicy, Loan
from finance.selectors import ledger_totals, ledger_totals_by
from finance.services.ledger import period_close


class LoanListView(ScopedListView):
    model = Loan
    filterset_class = LoanFilterSet
    title = _("Loans")
    columns = [
        Column(_("Reference"), "reference", link=True),
        Column(_("Dealer"), "dealer.name"),
        Column(_("Lender"), "lender.name"),
        Column(_("Principal"), "principal", kind="money", order="principal"),
        Column(_("Annual rate"), "annual_rate", kind="rate", order="annual_rate"),
        Column(_("Term (months)"), "term_months", kind="number", order="term_months"),
        Column(_("Credit grade"), "credit_grade"),
        Column(_("Status"), "status", kind="choice"),
        Column(_("Disbursed on"), "disbursed_on", order="disbursed_on"),
    ]

    def base_queryset(self):
        return Loan.objects.select_related("dealer", "lender")


class LoanDetailView(ScopedDetailView):
    model = Loan
    template_name = "finance/loan_detail.html"

    def base_queryset(self):
        return Loan.objects.select_related("dealer", "lender", "sale__stock_unit__model")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "history": history_of(self.object)}


class CommissionEntryListView(ScopedListView):
    model = CommissionEntry
    filterset_class = CommissionEntryFilterSet
    title = _("Commission ledger")
    columns = [
        Column(_("Entry"), "pk", link=True, order="id"),
        Column(_("Period"), "period", kind="month", order="period", export=("period__month",)),
        Column(_("Event date"), "event_on", order="event_on"),
        Column(_("Kind"), "kind", kind="choice"),
        Column(_("Dealer"), "dealer.name"),
        Column(_("Lender"), "lender.name"),
        Column(_("Loan"), "loan.reference"),
        Column(_("Amount"), "amount", kind="money", order="amount"),
        Column(_("Basis"), "basis", kind="choice"),
        Column(_("Principal"), "principal", kind="money"),
        Column(_("Ratio applied"), "ratio", kind="rate"),
        Column(_("Share clawed back"), "clawback_share", kind="rate"),
        Column(_("Reason"), "reason", kind="choice"),
    ]

    def base_queryset(self):
        return CommissionEntry.objects.select_related("period", "dealer", "lender", "loan")

    def get_summary(self, rows):
        totals = ledger_totals(rows)
        return [
            (_("Accrued"), format_yuan(totals.accrued)),
            (_("Clawed back"), format_yuan(totals.clawed_back)),
            (_("Adjusted"), format_yuan(totals.adjusted)),
            (_("Net commission"), format_yuan(totals.net)),
            (_("Received"), format_yuan(totals.received)),
            (_("Outstanding"), format_yuan(totals.outstanding)),
        ]


class CommissionEntryDetailView(ScopedDetailView):
    model = CommissionEntry
    template_name = "finance/entry_detail.html"

    def base_queryset(self):
        return CommissionEntry.objects.select_related(
            "period", "dealer", "lender", "loan", "policy", "original", "created_by", "job_run"
        )

    def get_context_data(self, **kwargs):
        follow_ups = scope(self.request.user, CommissionEntry).filter(original=self.object)
        return {**super().get_context_data(**kwargs), "follow_ups": follow_ups}


class CommissionPeriodListView(ScopedListView):
    """The ledger's months, each with the totals of the entries the user may see."""

    model = CommissionPeriod
    filterset_class = CommissionPeriodFilterSet
    template_name = "finance/period_list.html"
    title = _("Commission periods")
    paginate_by = 24

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        periods = list(context["object_list"])
        entries = scope(self.request.user, CommissionEntry).filter(period__in=periods)
        totals = {group["period"]: figures for group, figures in ledger_totals_by(entries, "period")}
        context["rows"] = [(period, totals.get(period.pk)) for period in periods]
        context["can_close"] = can_write(self.request.user, CommissionPeriod)
        return context


class CommissionPeriodDetailView(ScopedDetailView):
    """One month of the ledger by lender and by dealer, each linking to its entries."""

    model = CommissionPeriod
    template_name = "finance/period_detail.html"

    def get_context_data(self, **kwargs):
        entries = scope(self.request.user, CommissionEntry).filter(period=self.object)
        return {
            **super().get_context_data(**kwargs),
            "totals": ledger_totals(entries),
            "by_lender": ledger_totals_by(entries, "lender", "lender__name"),
            "by_dealer": ledger_totals_by(entries, "dealer", "dealer__code", "dealer__name")[:50],
            "can_close": self.object.is_open and can_write(self.request.user, CommissionPeriod),
        }


class CommissionPeriodCloseView(ScopedMixin, SingleObjectMixin, View):
    """POST: close the period for good (finance staff and head office)."""

    model = CommissionPeriod
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, CommissionPeriod):
            raise PermissionDenied
        period = self.get_object()
        try:
            period_close(period=period, closed_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Period %(period)s is closed.") % {"period": period})
        return redirect("finance:period-list")


class CommissionPolicyListView(ScopedListView):
    model = CommissionPolicy
    filterset_class = CommissionPolicyFilterSet
    title = _("Commission policies")
    columns = [
        Column(_("Policy"), "pk", link=True),
        Column(_("Lender"), "lender.name"),
        Column(_("Version"), "version", kind="number"),
        Column(_("Basis"), "basis", kind="choice"),
        Column(_("Ratio"), "ratio", kind="rate"),
        Column(_("Amount per loan"), "amount", kind="money"),
        Column(_("Cap per loan"), "cap_per_loan", kind="money"),
        Column(_("Effective from"), "effective_from"),
        Column(_("Effective to"), "effective_to"),
    ]

    def base_queryset(self):
        return CommissionPolicy.objects.select_related("lender")


class CommissionPolicyDetailView(ScopedDetailView):
    model = CommissionPolicy
    template_name = "finance/policy_detail.html"

    def base_queryset(self):
        return CommissionPolicy.objects.select_related("lender", "created_by").prefetch_related(
            "tiers", "clawback_steps"
        )

    def get_context_data(self, **kwargs):
        entries = scope(self.request.user, CommissionEntry).filter(policy=self.object)
        return {**super().get_context_data(**kwargs), "totals": ledger_totals(entries)}
