"""Data-quality pages: the dealers ranked, one dealer's issues, acknowledging an alert.
Every read goes through ``dealerops.access.scope``."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from channels.health.views import parse_month
from channels.models import Dealer
from datahub.models import DataIssue, DataQualityAlert, DataQualityScore, QualityDimension
from datahub.quality.definitions import MIN_MEASURABLE_DIMENSIONS
from datahub.quality.filtersets import DataIssueFilterSet, DataQualityScoreFilterSet
from datahub.quality.selectors import alerts_context, issue_counts, issue_lines, latest_month
from datahub.quality.services import data_quality_alert_acknowledge
from dealerops.access import scope
from dealerops.scoped_views import ScopedDetailView, ScopedListView, ScopedMixin
from dealerops.tables import Column
from dealerops.validation import today

ISSUES_PAGE_SIZE = 50


INSUFFICIENT = gettext_lazy("insufficient data")
MISSING_LISTED = 50  # dealers without a score named on the ranking page (the count says how many)


def score_column(dimension: str, label, empty=None) -> Column:
    return Column(label, dimension, "number", order=dimension, empty=empty)


class QualityRankingView(ScopedListView):
    """The dealers of the user's scope ranked by data quality for one month (the latest by
    default), sortable by the overall score and by each dimension; CSV/XLSX export."""

    model = DataQualityScore
    filterset_class = DataQualityScoreFilterSet
    template_name = "datahub/quality_ranking.html"
    title = gettext_lazy("Data quality")
    columns = [
        Column(gettext_lazy("Dealer code"), "dealer.code", order="dealer"),
        Column(gettext_lazy("Dealer"), "dealer.name", link=True),
        Column(gettext_lazy("Region"), "dealer.region.name", export=("dealer__region__name",)),
        Column(gettext_lazy("Month"), "month", "month"),
        score_column("overall", gettext_lazy("Overall"), empty=INSUFFICIENT),
        *(score_column(value, label) for value, label in QualityDimension.choices),
        Column(gettext_lazy("Issues"), "issues", "number", order="issues"),
    ]

    def base_queryset(self) -> QuerySet[DataQualityScore]:
        return DataQualityScore.objects.select_related("dealer", "dealer__region").order_by(
            F("overall").desc(nulls_last=True), "dealer__code"
        )

    def get_queryset(self) -> QuerySet[DataQualityScore]:
        scores = super().get_queryset()
        if not self.request.GET.get("month"):
            month = latest_month(scores, today=today())
            scores = scores.filter(month=month) if month else scores
        return scores

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(alerts_context(self.request.user))
        filterset = context["filter"]
        if not filterset.is_bound:  # no filters: the default month, the whole scope
            context["coverage"] = self.coverage(filterset.qs, {})
        elif filterset.is_valid():
            context["coverage"] = self.coverage(filterset.qs, filterset.form.cleaned_data)
        return context

    def coverage(self, ranked: QuerySet[DataQualityScore], filters: dict) -> dict | None:
        """Who the ranking leaves out and why: the dealers in view (the region and dealer
        filters) without a score for the month shown, and the scores without enough evidence
        for an overall figure (ranked last)."""
        month = filters.get("month") or latest_month(scope(self.request.user, DataQualityScore), today=today())
        if month is None:
            return None
        dealers = scope(self.request.user, Dealer)
        if filters.get("region"):
            dealers = dealers.filter(region=filters["region"])
        if filters.get("dealer"):
            dealers = dealers.filter(pk=filters["dealer"].pk)
        scored = DataQualityScore.objects.filter(month=month).values("dealer_id")
        missing = dealers.exclude(pk__in=scored).order_by("code")
        counts = ranked.aggregate(ranked=Count("pk"), insufficient=Count("pk", filter=Q(overall__isnull=True)))
        return {
            "month": month,
            "dealers": dealers.count(),
            "ranked": counts["ranked"],
            "insufficient": counts["insufficient"],
            "missing": missing.count(),
            "missing_listed": list(missing[:MISSING_LISTED]),
            "minimum": MIN_MEASURABLE_DIMENSIONS,
            "in_progress": month >= today().replace(day=1),
        }


class DealerQualityView(ScopedDetailView):
    """One dealer's month: the five scores, the DMS/CRM lag per source, and every issue with a
    link to its record, paginated and filtered by dimension and rule."""

    model = Dealer
    template_name = "datahub/dealer_quality.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, dealer = self.request.user, self.object
        scores = scope(user, DataQualityScore).filter(dealer=dealer)
        month = parse_month(self.request.GET.get("month")) or latest_month(scores, today=today())
        score = scores.filter(month=month).first() if month else None
        issues = scope(user, DataIssue).filter(dealer=dealer, month=month).order_by("dimension", "rule", "record_id")
        filterset = DataIssueFilterSet(self.request.GET, queryset=issues, request=self.request)
        shown = filterset.qs if filterset.is_valid() else issues
        page = Paginator(shown, ISSUES_PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            month=month,
            months=list(scores.order_by("-month").values_list("month", flat=True)[:24]),
            score=score,
            dimensions=[
                (label, getattr(score, value), getattr(score, f"{value}_passed"), getattr(score, f"{value}_checked"))
                for value, label in QualityDimension.choices
            ]
            if score
            else [],
            measured=sum(getattr(score, value) is not None for value in QualityDimension.values) if score else 0,
            minimum=MIN_MEASURABLE_DIMENSIONS,
            in_progress=bool(month and month >= today().replace(day=1)),
            filter=filterset,
            counts=issue_counts(issues),
            lines=issue_lines(user, list(page.object_list)),
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            query_without_page=query.urlencode(),
            **alerts_context(user, DataQualityAlert.objects.filter(dealer=dealer)),
        )
        return context


class AlertAcknowledgeView(ScopedMixin, View):
    """POST: the regional manager (or head office) marks an alert as seen."""

    model = DataQualityAlert
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            data_quality_alert_acknowledge(alert_id=pk, user=request.user)
        except ObjectDoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
        else:
            messages.success(request, _("Alert acknowledged."))
        target = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("data_quality:ranking")
