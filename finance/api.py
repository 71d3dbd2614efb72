from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from dealerops.api import ScopedCreateMixin, ScopedViewSet
from finance.filtersets import CommissionEntryFilterSet, CommissionPolicyFilterSet, LenderFilterSet, LoanFilterSet
from finance.models import CommissionEntry, CommissionPolicy, Lender, Loan
from finance.selectors import ledger_totals_by
from finance.serializers import (
    CommissionEntrySerializer,
    CommissionPolicySerializer,
    LedgerTotalsSerializer,
    LenderSerializer,
    LoanEntrySerializer,
    LoanSerializer,
    LoanStatusChangeSerializer,
)
from finance.services.loans import loan_status_change

# ?group_by= of the ledger summary -> the fields it groups on (ids and the names shown).
LEDGER_GROUPS = {
    "period": ["period__month"],
    "dealer": ["dealer", "dealer__code", "dealer__name"],
    "lender": ["lender", "lender__name"],
    "region": ["dealer__region", "dealer__region__name"],
}


class LenderViewSet(ScopedViewSet):
    model = Lender
    serializer_class = LenderSerializer
    filterset_class = LenderFilterSet


class LoanViewSet(ScopedCreateMixin, ScopedViewSet):
    """Loans; POST attaches a loan to an existing loan sale; POST .../status/ moves it on."""

    model = Loan
    serializer_class = LoanSerializer
    write_serializer_class = LoanEntrySerializer
    filterset_class = LoanFilterSet

    def base_queryset(self):
        return Loan.objects.select_related("lender")

    @extend_schema(request=LoanStatusChangeSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"], serializer_class=LoanStatusChangeSerializer)
    def status(self, request, pk=None):
        """Approve, reject, disburse, or close (paid off early, defaulted, matured) a loan;
        a move backwards answers 400."""
        loan = self.get_object()  # first: a loan outside the scope answers 404, whatever the body
        change = LoanStatusChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        loan = loan_status_change(loan=loan, **change.validated_data)
        return Response(LoanSerializer(loan, context=self.get_serializer_context()).data)


class CommissionPolicyViewSet(ScopedViewSet):
    model = CommissionPolicy
    serializer_class = CommissionPolicySerializer
    filterset_class = CommissionPolicyFilterSet

    def base_queryset(self):
        return CommissionPolicy.objects.prefetch_related("tiers", "clawback_steps")


class CommissionEntryViewSet(ScopedViewSet):
    """The ledger, read-only; ``summary/`` totals the filtered entries by a grouping."""

    model = CommissionEntry
    serializer_class = CommissionEntrySerializer
    filterset_class = CommissionEntryFilterSet

    def base_queryset(self):
        return CommissionEntry.objects.select_related("period")

    @extend_schema(
        parameters=[OpenApiParameter("group_by", enum=list(LEDGER_GROUPS), default="lender")],
        responses=LedgerTotalsSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """Accrued, clawed back, adjusted, net, received and outstanding per group."""
        group_by = request.query_params.get("group_by", "lender")
        if group_by not in LEDGER_GROUPS:
            raise serializers.ValidationError({"group_by": _("Choose one of: %s.") % ", ".join(LEDGER_GROUPS)})
        entries = self.filter_queryset(self.get_queryset())
        rows = [
            {"group": group, **vars(totals), "net": totals.net, "outstanding": totals.outstanding}
            for group, totals in ledger_totals_by(entries, *LEDGER_GROUPS[group_by])
        ]
        return Response(LedgerTotalsSerializer(rows, many=True).data)
