import django_filters
from django.utils.translation import gettext_lazy as _

from channels.models import Dealer
from dealerops.filters import ScopedModelChoiceFilter, SearchFilter
from finance.models import Lender, Loan


class LenderFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["code", "name"])

    class Meta:
        model = Lender
        fields = ["q", "kind"]


class LoanFilterSet(django_filters.FilterSet):
    q = SearchFilter(search_fields=["reference", "sale__stock_unit__vin"])
    dealer = ScopedModelChoiceFilter(model=Dealer, label=_("Dealer"))
    lender = ScopedModelChoiceFilter(model=Lender, label=_("Lender"))
    disbursed_after = django_filters.DateFilter(field_name="disbursed_on", lookup_expr="gte", label=_("Disbursed from"))
    disbursed_before = django_filters.DateFilter(field_name="disbursed_on", lookup_expr="lte", label=_("Disbursed to"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("applied_on", "applied_on"),
            ("disbursed_on", "disbursed_on"),
            ("principal", "principal"),
            ("annual_rate", "annual_rate"),
            ("term_months", "term_months"),
        )
    )

    class Meta:
        model = Loan
        fields = [
            "q",
            "dealer",
            "lender",
            "status",
            "credit_grade",
            "term_months",
            "disbursed_after",
            "disbursed_before",
        ]
