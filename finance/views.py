from django.utils.translation import gettext_lazy as _

from dealerops.audit import history_of
from dealerops.scoped_views import ScopedDetailView, ScopedListView
from dealerops.tables import Column
from finance.filtersets import LoanFilterSet
from finance.models import Loan


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
