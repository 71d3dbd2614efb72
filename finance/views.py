import re
from collections.abc import Iterator

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from dealerops.access import can_view, can_write, role_of, scope
from dealerops.audit import history_context
from dealerops.entry_views import EntryView
from dealerops.exports import bounded_count, export_format, export_name, tabular_response
from dealerops.formats import format_yuan
from dealerops.models import Role
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column
from finance.filtersets import (
    CommissionEntryFilterSet,
    CommissionPeriodFilterSet,
    CommissionPolicyFilterSet,
    LenderStatementFilterSet,
    LoanFilterSet,
)
from finance.forms import AdjustmentForm, LenderStatementUploadForm, LoanStatusForm, PolicyForm
from finance.models import (
    CommissionEntry,
    CommissionPeriod,
    CommissionPolicy,
    LedgerRollup,
    LedgerSummary,
    LenderStatement,
    Loan,
    LoanStatus,
    MatchStatus,
    StatementLine,
)
from finance.report_views import LEDGER_HEADERS, ledger_cells
from finance.reports import SUMMARISED_LEDGER_FILTERS, ledger_list_totals, ledger_sums, ledger_totals_per_period
from finance.reports import ledger_totals as cell_totals
from finance.selectors import (
    LedgerTotals,
    ledger_totals,
    ledger_totals_by,
    loan_pending_report,
    statement_match_totals,
    statement_receipts,
    with_awaiting_confirmation,
)
from finance.services.ledger import adjustment_post, first_open_period, period_close, period_close_refusal
from finance.services.loans import (
    loan_moves_confirmed_by,
    loan_status_confirm,
    loan_status_reject,
    loan_status_request,
)
from finance.services.policies import policy_version_create
from finance.services.reconciliation import lender_statement_receipts_post, lender_statement_upload
from finance.services.statement_files import statement_upload_refusal


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
        Column(_("Term (months)"), "term_months", kind="number"),
        Column(_("Credit grade"), "credit_grade"),
        Column(_("Status"), "status", kind="choice", badge=("awaiting_confirmation", _("Awaiting confirmation"))),
        Column(_("Disbursed on"), "disbursed_on", order="disbursed_on"),
    ]

    def base_queryset(self):
        return with_awaiting_confirmation(Loan.objects.select_related("dealer", "lender"))


class LoanDetailView(ScopedDetailView):
    """A loan, its commission entries with their totals, and (for users who may write loans)
    the form that moves its status on."""

    model = Loan
    template_name = "finance/loan_detail.html"

    def base_queryset(self):
        return Loan.objects.select_related("dealer", "lender", "sale__stock_unit__model")

    def get_context_data(self, status_form: LoanStatusForm | None = None, **kwargs):
        user = self.request.user
        entries = scope(user, CommissionEntry).filter(loan=self.object).select_related("period")
        pending = loan_pending_report(self.object)
        if status_form is None and can_write(user, Loan) and pending is None:
            status_form = LoanStatusForm(loan=self.object)
        return {
            **super().get_context_data(**kwargs),
            **history_context(self.request, self.object),
            "ledger_entries": entries.order_by("event_on", "id"),
            "entry_totals": ledger_totals(entries),
            # A refused change is shown even when the loan has no next status left (it moved on meanwhile).
            "status_form": status_form if status_form and (status_form.is_bound or status_form.next_statuses) else None,
            "pending_report": pending,
            "can_confirm": pending is not None and can_write(user, Loan) and loan_moves_confirmed_by(user),
            "can_adjust": can_write(user, CommissionEntry),
        }


class LoanStatusChangeView(LoanDetailView):
    """POST: move the loan to its next status (or, for a dealer's move that moves money,
    report it for finance to confirm); a refusal shows the loan page again with the reason
    next to the field."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, Loan):
            raise PermissionDenied
        self.object = loan = self.get_object()
        form = LoanStatusForm(request.POST, loan=loan)
        if form.is_valid():
            status, on = form.cleaned_data["status"], form.cleaned_data["on"]
            try:
                loan = loan_status_request(loan=loan, status=status, on=on, user=request.user)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                if loan.status == status:
                    message = _("Loan %(loan)s is now %(status)s.") % {
                        "loan": loan,
                        "status": loan.get_status_display(),
                    }
                else:
                    message = _("Loan %(loan)s: %(status)s is reported and awaits finance's confirmation.") % {
                        "loan": loan,
                        "status": LoanStatus(status).label,
                    }
                messages.success(request, message)
                return redirect(loan)
        return self.render_to_response(self.get_context_data(status_form=form))


class LoanStatusDecisionView(ScopedMixin, SingleObjectMixin, View):
    """POST: finance confirms or rejects the move a dealer reported; a refusal is a message."""

    model = Loan
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, Loan):
            raise PermissionDenied
        loan = self.get_object()
        try:
            messages.success(request, self.decide(loan))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect(loan)

    def decide(self, loan: Loan) -> str:
        """The decision's one service call, and what the page then says."""
        raise NotImplementedError


class LoanStatusConfirmView(LoanStatusDecisionView):
    def decide(self, loan: Loan) -> str:
        loan = loan_status_confirm(loan=loan, user=self.request.user)
        return _("Loan %(loan)s is now %(status)s.") % {"loan": loan, "status": loan.get_status_display()}


class LoanStatusRejectView(LoanStatusDecisionView):
    def decide(self, loan: Loan) -> str:
        loan = loan_status_reject(loan=loan, user=self.request.user, note=self.request.POST.get("note", ""))
        return _("The reported move of loan %(loan)s is rejected; the loan stays %(status)s.") % {
            "loan": loan,
            "status": loan.get_status_display(),
        }


class CommissionEntryListView(ScopedListView):
    model = CommissionEntry
    filterset_class = CommissionEntryFilterSet
    title = _("Commission ledger")
    create_url_name = "finance:adjustment-create"
    create_label = _("New adjustment")
    default_ordering = "-event_on"
    columns = [
        Column(_("Entry"), "pk", link=True, order="id"),
        Column(_("Period"), "period", kind="month", export=("period__month",)),
        Column(_("Event date"), "event_on", order="event_on"),
        Column(_("Kind"), "kind", kind="choice"),
        Column(_("Dealer"), "dealer.name"),
        Column(_("Lender"), "lender.name"),
        Column(_("Loan"), "loan.reference", link="loan"),
        Column(_("Amount"), "amount", kind="money", order="amount"),
        Column(_("Basis"), "basis", kind="choice"),
        Column(_("Principal"), "principal", kind="money"),
        Column(_("Ratio applied"), "ratio", kind="rate"),
        Column(_("Share clawed back"), "clawback_share", kind="rate"),
        Column(_("Reason"), "reason", kind="choice"),
    ]

    def base_queryset(self):
        # Newest event first (the id breaks ties, so pages never shuffle); ?ordering= sorts otherwise.
        return CommissionEntry.objects.select_related("period", "dealer", "lender", "loan").order_by("-event_on", "-id")

    def get_summary(self, rows):
        totals = self._summarised_totals()
        if totals is None:
            totals = ledger_totals(rows)
        return [
            (_("Accrued"), format_yuan(totals.accrued)),
            (_("Clawed back"), format_yuan(totals.clawed_back)),
            (_("Adjusted"), format_yuan(totals.adjusted)),
            (_("Net commission"), format_yuan(totals.net)),
            (_("Received"), format_yuan(totals.received)),
            (_("Outstanding"), format_yuan(totals.outstanding)),
        ]

    def _summarised_totals(self) -> LedgerTotals | None:
        """The totals from the ledger's summaries when the filters are all among their keys
        (none of a search, a reason or a loan): thousands of cells, not millions of entries."""
        form = self.filterset.form
        if form.is_bound and not form.is_valid():
            return None
        filters = form.cleaned_data.items() if form.is_bound else ()  # unbound: no filter at all
        used = {name: value for name, value in filters if value not in (None, "") and name != "ordering"}
        if not used.keys() <= SUMMARISED_LEDGER_FILTERS:
            return None
        user = self.request.user
        region_level = role_of(user) != Role.DEALER_USER and "dealer" not in used
        return ledger_list_totals(scope(user, LedgerRollup if region_level else LedgerSummary), used)


class AdjustmentCreateView(EntryView):
    """Finance staff and head office book an adjustment; ``?loan=<reference>`` pre-fills the loan."""

    model = CommissionEntry
    form_class = AdjustmentForm
    title = _("New adjustment")

    def get_initial(self):
        return {"loan_reference": self.request.GET.get("loan", ""), "period": self.request.GET.get("period")}

    def save(self, form) -> CommissionEntry:
        return adjustment_post(adjustment=form.adjustment(), entered_by=self.request.user)

    def get_success_message(self, record: CommissionEntry) -> str:
        return _("The adjustment of %(amount)s is booked in period %(period)s.") % {
            "amount": format_yuan(record.amount),
            "period": record.period,
        }


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
        user = self.request.user
        # The periods' totals from the ledger's summaries: region-level beyond one dealer's.
        cells = scope(user, LedgerSummary if role_of(user) == Role.DEALER_USER else LedgerRollup)
        totals = ledger_totals_per_period(cells.filter(period__in=periods))
        can_close = context["can_close"] = can_write(self.request.user, CommissionPeriod)
        first_open = first_open_period() if can_close else None
        context["rows"] = [
            (
                period,
                totals.get(period.pk),
                period_close_refusal(period=period, first_open=first_open) if can_close and period.is_open else None,
            )
            for period in periods
        ]
        context["can_see_statements"] = can_view(self.request.user, LenderStatement)
        return context


DEALER_GROUP = ("dealer", "dealer__code", "dealer__name")


class CommissionPeriodDetailView(ScopedDetailView):
    """One month of the ledger by lender and by dealer, each linking to its entries."""

    model = CommissionPeriod
    template_name = "finance/period_detail.html"

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt is None:
            return super().get(request, *args, **kwargs)
        self.object = period = self.get_object()
        return tabular_response(
            fmt=fmt,
            filename=export_name(_("Commission period"), f"{period.month:%Y-%m}"),
            headers=[_("Group"), _("Code"), _("Name"), *LEDGER_HEADERS],
            rows=self.export_rows(),
            sheet_title=f"{_('Commission period')} {period}",
            request=request,
            reads=bounded_count(self.entries()),
        )

    def entries(self):
        return scope(self.request.user, CommissionEntry).filter(period=self.object)

    def cells(self):
        """The period's ledger summary cells (dealer × lender) in the user's scope: a month of
        the network's ledger is some 24,000 cells, not 200,000 entries."""
        return scope(self.request.user, LedgerSummary).filter(period=self.object)

    def lender_cells(self):
        """What the by-lender table sums: the region-level rollup (a few dozen rows a month),
        except for a dealer user, whose figures no region-level row holds."""
        if can_view(self.request.user, LedgerRollup):
            return scope(self.request.user, LedgerRollup).filter(period=self.object)
        return self.cells()

    def export_rows(self) -> Iterator[list]:
        """The page's tables one under the other: by lender, by dealer (every dealer, not only
        the page's first 50), then the period's total."""
        cells = self.cells()
        lender, dealer = str(_("Lender")), str(_("Dealer"))
        by_lender = ledger_totals_by(self.lender_cells(), "lender", "lender__code", "lender__name", sums=ledger_sums())
        for group, figures in by_lender:
            yield [lender, group["lender__code"], group["lender__name"], *ledger_cells(figures)]
        for group, figures in ledger_totals_by(cells, *DEALER_GROUP, sums=ledger_sums()):
            yield [dealer, group["dealer__code"], group["dealer__name"], *ledger_cells(figures)]
        yield [str(_("Total")), "", "", *ledger_cells(cell_totals(cells))]

    def get_context_data(self, **kwargs):
        cells = self.cells()
        user = self.request.user
        may_close = self.object.is_open and can_write(user, CommissionPeriod)
        refusal = period_close_refusal(period=self.object, first_open=first_open_period()) if may_close else None
        query = self.request.GET.copy()
        query.pop("export", None)
        return {
            **super().get_context_data(**kwargs),
            "totals": cell_totals(cells),
            "by_lender": ledger_totals_by(self.lender_cells(), "lender", "lender__name", sums=ledger_sums()),
            "by_dealer": ledger_totals_by(
                cells, "dealer", "dealer__code", "dealer__name", sums=ledger_sums(), limit=50
            ),
            "can_close": may_close and refusal is None,
            "close_refusal": refusal,
            "can_adjust": self.object.is_open and can_write(user, CommissionEntry),
            "export_query": query.urlencode(),
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
    create_url_name = "finance:policy-create"
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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lender = context["filter"].form.cleaned_data.get("lender") if context["filter"].is_valid() else None
        if context["create_url"] and lender is not None:
            context["create_url"] += f"?lender={lender.pk}"  # a lender's policies: its next version
        return context


class CommissionPolicyDetailView(ScopedDetailView):
    model = CommissionPolicy
    template_name = "finance/policy_detail.html"

    def base_queryset(self):
        return CommissionPolicy.objects.select_related("lender", "created_by").prefetch_related(
            "tiers", "clawback_steps"
        )

    def get_context_data(self, **kwargs):
        entries = scope(self.request.user, CommissionEntry).filter(policy=self.object)
        return {
            **super().get_context_data(**kwargs),
            "totals": ledger_totals(entries),
            "can_create": can_write(self.request.user, CommissionPolicy),
        }


class PolicyCreateView(EntryView):
    """A new version of a lender's policy, with its tiers and clawback steps. ``?lender=<id>``
    pre-selects the lender; ``?from=<policy id>`` starts from that version's figures."""

    model = CommissionPolicy
    form_class = PolicyForm
    template_name = "finance/policy_form.html"
    title = _("New commission policy version")

    def get_initial(self):
        return {"lender": self.request.GET.get("lender")}

    def get_form_kwargs(self):
        source = self.request.GET.get("from", "")
        policies = scope(self.request.user, CommissionPolicy).prefetch_related("tiers", "clawback_steps")
        return {
            **super().get_form_kwargs(),
            "source": policies.filter(pk=source).first() if source.isdigit() else None,
        }

    def save(self, form) -> CommissionPolicy:
        return policy_version_create(
            lender=form.cleaned_data["lender"], terms=form.terms(), created_by=self.request.user
        )

    def get_success_message(self, record: CommissionPolicy) -> str:
        return _("Version %(version)s of %(lender)s is saved, in force from %(start)s.") % {
            "version": record.version,
            "lender": record.lender,
            "start": record.effective_from.isoformat(),
        }


class LenderStatementListView(ScopedListView):
    model = LenderStatement
    filterset_class = LenderStatementFilterSet
    title = _("Lender statements")
    create_url_name = "finance:statement-upload"
    columns = [
        Column(_("Statement reference"), "reference", link=True),
        Column(_("Lender"), "lender.name"),
        Column(_("First month"), "first_month", kind="month", order="period"),
        Column(_("Last month"), "last_month", kind="month"),
        Column(_("Lines in the file"), "line_count", kind="number"),
        Column(_("Statement total"), "total_amount", kind="money", order="total"),
        Column(_("File name"), "file_name"),
        Column(_("Uploaded at"), "created_at", order="uploaded"),
        Column(_("Uploaded by"), "uploaded_by.username"),
    ]

    def base_queryset(self):
        return LenderStatement.objects.select_related("lender", "uploaded_by")


class LenderStatementUploadView(ScopedMixin, FormView):
    """Upload a statement; it is matched at once and its result page opens."""

    model = LenderStatement
    form_class = LenderStatementUploadForm
    template_name = "finance/statement_upload.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_write(request.user, LenderStatement):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        # Refuse an oversize body before Django spools it to disk.
        if refusal := statement_upload_refusal(request):
            return self.render_to_response(self.get_context_data(refusal=refusal), status=413)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            statement = lender_statement_upload(
                lender=form.cleaned_data["lender"],
                reference=form.cleaned_data["reference"],
                content=upload.read(),
                file_name=upload.name,
                uploaded_by=self.request.user,
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
            return self.form_invalid(form)
        messages.success(self.request, _("Statement %(reference)s is reconciled.") % {"reference": statement.reference})
        return redirect(statement)


# The result table's columns: (label, ?ordering= value, field it sorts).
LINE_ORDERINGS = {
    "row": "row_number",
    "loan": "loan_reference",
    "dealer": "loan__dealer__name",
    "period": "month",
    "amount": "amount",
    "ledger": "ledger_amount",
    "difference": "difference",
    "received": "received_elsewhere",
}


class LenderStatementDetailView(ScopedDetailView):
    """The reconciliation result: five categories with totals, each paginated and sortable;
    ``?export=csv`` or ``xlsx`` downloads the lines (of ``?category=``, or all)."""

    model = LenderStatement
    template_name = "finance/statement_detail.html"
    paginate_by = 50

    def base_queryset(self):
        return LenderStatement.objects.select_related("lender", "uploaded_by")

    def get(self, request, *args, **kwargs):
        fmt = export_format(request)
        if fmt is None:
            return super().get(request, *args, **kwargs)
        self.object = self.get_object()
        lines = self.lines()
        category = request.GET.get("category")
        if category in MatchStatus.values:
            lines = lines.filter(status=category)
        return tabular_response(
            fmt=fmt,
            # The reference is the lender's text: keep only what is safe in a file name.
            filename=re.sub(r"[^\w.-]+", "-", f"statement-{self.object.lender.code}-{self.object.reference}"),
            headers=[str(label) for label in EXPORT_HEADERS],
            rows=_export_rows(lines),
            sheet_title=str(_("Reconciliation")),
            request=request,
            count=bounded_count(lines),
        )

    def lines(self):
        return scope(self.request.user, StatementLine).filter(statement=self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = self.lines()
        categories, overall = statement_match_totals(lines)
        category = self.request.GET.get("category")
        if category not in MatchStatus.values:
            category = next((c.status for c in categories if c.lines), MatchStatus.MATCHED.value)
        ordering = self.request.GET.get("ordering", "")
        field = LINE_ORDERINGS.get(ordering.lstrip("-"), "row_number")
        order_by = [f"-{field}" if ordering.startswith("-") else field, "loan_reference"]
        page = Paginator(
            lines.filter(status=category).select_related("loan__dealer").order_by(*order_by), self.paginate_by
        ).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        receipts, received = statement_receipts(scope(self.request.user, CommissionEntry), self.object)
        context.update(
            categories=categories,
            overall=overall,
            category=category,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            paginator=page.paginator,
            query_without_page=query.urlencode(),
            line_columns=LINE_COLUMNS,
            receipts=receipts,
            received=received,
            can_post=can_write(self.request.user, CommissionEntry),
        )
        return context


LINE_COLUMNS = [
    Column(_("Row in file"), "row_number", kind="number", order="row"),
    Column(_("Loan reference"), "loan_reference", order="loan"),
    Column(_("Dealer"), "loan.dealer.name", order="dealer"),
    Column(_("Period"), "month", order="period"),
    Column(_("Statement amount"), "amount", kind="money", order="amount"),
    Column(_("Ledger amount"), "ledger_amount", kind="money", order="ledger"),
    Column(_("Difference"), "difference", kind="money", order="difference"),
    Column(_("Received elsewhere"), "received_elsewhere", kind="money", order="received"),
]
EXPORT_HEADERS = [
    _("Result"),
    _("Row in file"),
    _("Loan reference"),
    _("Dealer"),
    _("Period"),
    _("Statement amount"),
    _("Ledger amount"),
    _("Difference"),
    _("Received elsewhere"),
]


def _export_rows(lines):
    labels = dict(MatchStatus.choices)
    rows = lines.order_by("status", "row_number", "loan_reference").values_list(
        "status",
        "row_number",
        "loan_reference",
        "loan__dealer__name",
        "month",
        "amount",
        "ledger_amount",
        "difference",
        "received_elsewhere",
    )
    for status, row_number, reference, dealer, month, amount, ledger_amount, difference, received in rows.iterator(
        chunk_size=2000
    ):
        yield (
            str(labels[status]),
            row_number,
            reference,
            dealer,
            month.strftime("%Y-%m"),
            amount,
            ledger_amount,
            difference,
            received,
        )


class LenderStatementReceiptsView(ScopedMixin, SingleObjectMixin, View):
    """POST: book the matched lines (optionally the differing ones too) as receipts."""

    model = LenderStatement
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not can_write(request.user, LenderStatement) or not can_write(request.user, CommissionEntry):
            raise PermissionDenied
        statement = self.get_object()
        posting = lender_statement_receipts_post(
            statement=statement,
            posted_by=request.user,
            include_differing=request.POST.get("include_differing") == "on",
        )
        if posting.booked:
            messages.success(
                request,
                ngettext(
                    "%(count)s receipt of %(amount)s booked into period %(period)s.",
                    "%(count)s receipts totalling %(amount)s booked into period %(period)s.",
                    posting.booked,
                )
                % {"count": posting.booked, "amount": format_yuan(posting.amount), "period": posting.period},
            )
        elif not posting.over_owed:
            messages.info(request, _("Nothing new to book: these lines were already received."))
        if posting.over_owed:
            messages.warning(
                request,
                ngettext(
                    "%(count)s line was not booked: its amount is more than is still owed on the loan.",
                    "%(count)s lines were not booked: their amount is more than is still owed on the loan.",
                    posting.over_owed,
                )
                % {"count": posting.over_owed},
            )
        return redirect(statement)
