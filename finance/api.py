from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from channels.models import Dealer, Region
from dealerops.access import role_of, scope
from dealerops.api import ScopedCreateMixin, ScopedViewSet
from dealerops.models import Role
from dealerops.validation import today
from finance.filtersets import (
    CommissionEntryFilterSet,
    CommissionPolicyFilterSet,
    LenderFilterSet,
    LenderStatementFilterSet,
    LoanFilterSet,
)
from finance.models import (
    CommissionEntry,
    CommissionPolicy,
    DealerMonthSummary,
    EntryKind,
    LedgerRollup,
    LedgerSummary,
    Lender,
    LenderStatement,
    Loan,
    MatchStatus,
    StatementLine,
)
from finance.report_forms import ReportFilterForm
from finance.report_views import ledger_sums_source, region_level, risk_sources, sees_network
from finance.reports import (
    RISK_DIMENSIONS,
    ReportFilters,
    ledger_rows,
    payables_by_lender,
    penetration_report,
    risk_report,
)
from finance.reports import ledger_totals as summary_totals
from finance.selectors import ledger_totals_by, pending_reports, statement_match_totals
from finance.serializers import (
    CommissionEntrySerializer,
    CommissionPolicySerializer,
    LedgerReportSerializer,
    LedgerTotalsSerializer,
    LenderSerializer,
    LenderStatementResultSerializer,
    LenderStatementSerializer,
    LenderStatementUploadSerializer,
    LoanEntrySerializer,
    LoanSerializer,
    LoanStatusChangeSerializer,
    LoanStatusRejectSerializer,
    PayablesReportSerializer,
    PenetrationReportSerializer,
    ReceiptPostingRequestSerializer,
    ReceiptPostingSerializer,
    RiskReportSerializer,
    StatementLineSerializer,
)
from finance.services.loans import loan_status_confirm, loan_status_reject, loan_status_request
from finance.services.reconciliation import lender_statement_receipts_post
from finance.services.statement_files import statement_upload_refusal

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
        return Loan.objects.select_related("lender").prefetch_related(pending_reports())

    @extend_schema(
        request=LoanStatusChangeSerializer,
        responses={
            200: LoanSerializer,
            202: OpenApiResponse(LoanSerializer, description="Reported: the move awaits finance's confirmation."),
        },
    )
    @action(detail=True, methods=["post"], serializer_class=LoanStatusChangeSerializer)
    def status(self, request, pk=None):
        """Approve, reject, disburse, or close (paid off early, defaulted, matured) a loan;
        a move backwards answers 400. A dealer user's move that moves money (disbursed, paid
        off early, defaulted) is reported instead: 202, the loan unchanged and the move under
        ``awaiting_confirmation`` until finance confirms it (``confirm/``)."""
        loan = self.get_object()  # first: a loan outside the scope answers 404, whatever the body
        change = LoanStatusChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        loan = loan_status_request(loan=loan, user=request.user, **change.validated_data)
        reported = loan.status != change.validated_data["status"]
        return Response(self.shown(loan), status=status.HTTP_202_ACCEPTED if reported else status.HTTP_200_OK)

    @extend_schema(request=None, responses=LoanSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Finance: apply the move the dealer reported (the ledger then posts it)."""
        return Response(self.shown(loan_status_confirm(loan=self.get_object(), user=request.user)))

    @extend_schema(request=LoanStatusRejectSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"], serializer_class=LoanStatusRejectSerializer)
    def reject(self, request, pk=None):
        """Finance: turn the reported move down; the loan stays as it is."""
        body = LoanStatusRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        loan = loan_status_reject(loan=self.get_object(), user=request.user, **body.validated_data)
        return Response(self.shown(loan))

    def shown(self, loan: Loan) -> dict:
        return LoanSerializer(self.get_queryset().get(pk=loan.pk), context=self.get_serializer_context()).data


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
    @action(detail=False, methods=["get"], pagination_class=None, extra_query_params=("group_by",))
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


class LenderStatementViewSet(ScopedViewSet):
    """Lender statements (finance and head office). POST (multipart: lender, reference, file)
    uploads and reconciles one; its page shows the totals per category, ``lines/`` the lines
    (``?status=``), and POST ``receipts/`` books the matched lines as receipts."""

    model = LenderStatement
    serializer_class = LenderStatementSerializer
    filterset_class = LenderStatementFilterSet
    parser_classes = [MultiPartParser, FormParser]

    def base_queryset(self):
        return LenderStatement.objects.all()

    def result(self, statement: LenderStatement) -> dict:
        lines = scope(self.request.user, StatementLine).filter(statement=statement)
        categories, total = statement_match_totals(lines)
        statement.categories, statement.total = categories, total
        return LenderStatementResultSerializer(statement, context=self.get_serializer_context()).data

    @extend_schema(responses=LenderStatementResultSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(self.result(self.get_object()))

    @extend_schema(request=LenderStatementUploadSerializer, responses={201: LenderStatementResultSerializer})
    def create(self, request, *args, **kwargs):
        """Upload a statement; a malformed file answers 400 with every error by row and column."""
        if refusal := statement_upload_refusal(request):
            return Response({"file": [refusal]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        upload = LenderStatementUploadSerializer(data=request.data, context=self.get_serializer_context())
        upload.is_valid(raise_exception=True)
        statement = upload.save()
        return Response(self.result(self.get_queryset().get(pk=statement.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=MatchStatus.values)],
        responses=StatementLineSerializer(many=True),
    )
    @action(detail=True, methods=["get"], extra_query_params=("status",))
    def lines(self, request, pk=None):
        statement = self.get_object()
        lines = scope(request.user, StatementLine).filter(statement=statement).order_by("status", "row_number", "id")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in MatchStatus.values:
                raise serializers.ValidationError({"status": _("Choose one of: %s.") % ", ".join(MatchStatus.values)})
            lines = lines.filter(status=wanted)
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(StatementLineSerializer(page, many=True).data)

    @extend_schema(request=ReceiptPostingRequestSerializer, responses=ReceiptPostingSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def receipts(self, request, pk=None):
        """Book the matched lines (and, if asked, the differing ones) as receipts; a line is
        never received twice, so pressing again books nothing."""
        statement = self.get_object()
        body = ReceiptPostingRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        posting = lender_statement_receipts_post(
            statement=statement, posted_by=request.user, include_differing=body.validated_data["include_differing"]
        )
        return Response(ReceiptPostingSerializer(vars(posting)).data)


LEDGER_REPORT_PAGE = 500
RANGE_PARAMETERS = [
    OpenApiParameter("first_month", OpenApiTypes.STR, description="YYYY-MM; by default 11 months before this one."),
    OpenApiParameter("last_month", OpenApiTypes.STR, description="YYYY-MM; by default this month."),
    OpenApiParameter("region", OpenApiTypes.INT, description="A region you may see (not for dealer users)."),
    OpenApiParameter("dealer", OpenApiTypes.INT, description="A dealer you may see (not for dealer users)."),
]
LENDER_PARAMETER = OpenApiParameter("lender", OpenApiTypes.INT)
KIND_PARAMETER = OpenApiParameter("kind", OpenApiTypes.STR, enum=EntryKind.values)
PAGE_PARAMETER = OpenApiParameter("page", OpenApiTypes.INT)


class CommissionReportViewSet(viewsets.ViewSet):
    """The finance reports, read-only, with the report pages' filters and the user's scope.
    Periods are the ledger's booking months; an unknown or foreign filter value answers 400."""

    model = CommissionEntry  # the reports open to whoever may see commissions; each figure is scoped

    def filters(self, *fields: str) -> ReportFilters:
        form = ReportFilterForm(
            self.request.query_params,
            user=self.request.user,
            fields=("first_month", "last_month", *fields),
            today=today(),
        )
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        return form.filters()

    def scoped(self, model):
        return scope(self.request.user, model)

    @extend_schema(parameters=[*RANGE_PARAMETERS, LENDER_PARAMETER, KIND_PARAMETER, PAGE_PARAMETER],
                   responses=LedgerReportSerializer)  # fmt: skip
    @action(detail=False, methods=["get"])
    def ledger(self, request):
        """The ledger by period × dealer × lender, latest month first, 500 rows a page."""
        filters = self.filters("region", "dealer", "lender", "kind")
        cells = filters.ledger(self.scoped(LedgerSummary))
        sums = ledger_sums_source(self.scoped, request.user, filters)
        rows = ledger_rows(cells, filters.kind, rollup=sums if sums.model is LedgerRollup else None)
        page = Paginator(rows, LEDGER_REPORT_PAGE).get_page(request.query_params.get("page"))
        report = {
            "first_month": filters.first_month,
            "last_month": filters.last_month,
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "total": summary_totals(sums, filters.kind),
            "results": page.object_list,
        }
        return Response(LedgerReportSerializer(report).data)

    @extend_schema(parameters=[*RANGE_PARAMETERS, LENDER_PARAMETER], responses=PayablesReportSerializer)
    @action(detail=False, methods=["get"])
    def payables(self, request):
        """Per lender: accrued, clawed back, adjusted, net, received and outstanding (net − received)."""
        filters = self.filters("region", "dealer", "lender")
        sums = ledger_sums_source(self.scoped, request.user, filters)
        report = {
            "first_month": filters.first_month,
            "last_month": filters.last_month,
            "total": summary_totals(sums),
            "results": payables_by_lender(sums),
        }
        return Response(PayablesReportSerializer(report).data)

    @extend_schema(parameters=RANGE_PARAMETERS, responses=PenetrationReportSerializer)
    @action(detail=False, methods=["get"])
    def penetration(self, request):
        """Loan sales / all sales and net commission / loans disbursed, by region and dealer."""
        filters = self.filters("region", "dealer")
        penetration = penetration_report(
            # A dealer user's region would hold its own figures only: it gets its dealer row.
            regions=filters.regions(self.scoped(Region)) if role_of(request.user) != Role.DEALER_USER else None,
            dealers=filters.dealers(self.scoped(Dealer)),
            months=filters.monthly(self.scoped(DealerMonthSummary)),
            name=str(_("Total")),
        )
        report = {
            "first_month": filters.first_month,
            "last_month": filters.last_month,
            "total": penetration.totals,
            "regions": penetration.regions,
            "dealers": penetration.dealers,
        }
        return Response(PenetrationReportSerializer(report).data)

    @extend_schema(parameters=[*RANGE_PARAMETERS, LENDER_PARAMETER], responses=RiskReportSerializer)
    @action(detail=False, methods=["get"])
    def risk(self, request):
        """Default and early-payoff rates of the loans disbursed in the range, clawbacks booked in
        it, and the exposure (amortised principal outstanding) of the loans live on the as-of day."""
        filters = self.filters("region", "dealer", "lender")
        risk = risk_report(
            sources=risk_sources(self.scoped, network=sees_network(request.user, filters)),
            filters=filters,
            label=str(_("Total")),
            by_summary=region_level(request.user, filters),
        )
        report = {
            "first_month": filters.first_month,
            "last_month": filters.last_month,
            "as_of": filters.as_of,
            "total": risk.totals,
            **{f"by_{dimension}": risk.tables[dimension] for dimension in RISK_DIMENSIONS},
        }
        return Response(RiskReportSerializer(report).data)
