from dealerops.api import ScopedCreateMixin, ScopedViewSet
from finance.filtersets import LenderFilterSet, LoanFilterSet
from finance.models import Lender, Loan
from finance.serializers import LenderSerializer, LoanEntrySerializer, LoanSerializer


class LenderViewSet(ScopedViewSet):
    model = Lender
    serializer_class = LenderSerializer
    filterset_class = LenderFilterSet


class LoanViewSet(ScopedCreateMixin, ScopedViewSet):
    """Loans; POST attaches a loan to an existing loan sale."""

    model = Loan
    serializer_class = LoanSerializer
    write_serializer_class = LoanEntrySerializer
    filterset_class = LoanFilterSet

    def base_queryset(self):
        return Loan.objects.select_related("lender")
