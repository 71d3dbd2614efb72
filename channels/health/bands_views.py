"""The rating bands page: the versions (every role that sees health reads how it is rated),
and for head office a new version and the re-rating of open months."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from channels.health.bands import RERATE_JOB, health_rerate_start, rating_bands_create
from channels.health.forms import RatingBandsForm, RerateForm
from channels.health.selectors import health_months, rating_bands_versions
from channels.models import SHARE_FIELDS, RatingBands
from dealerops.access import can_write
from dealerops.models import JobRun, JobStatus
from dealerops.scoped_views import ScopedMixin

RECENT_RUNS = 5


class RatingBandsView(ScopedMixin, TemplateView):
    """GET: the bands in force, every version, the months and the bands that rated them. POST
    (head office): a new version from the form."""

    model = RatingBands
    template_name = "channels/rating_bands.html"

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        versions = rating_bands_versions()
        months = list(health_months())
        open_months = sorted({state.month for state in months if not state.final})
        may_write = can_write(self.request.user, RatingBands)
        context.update(
            versions=versions,
            in_force=versions[0] if versions else None,
            months=months,
            closed_months=sum(state.final for state in months),
            can_write=may_write,
        )
        if may_write:
            in_force = context["in_force"]
            initial = {name: getattr(in_force, name) for name in SHARE_FIELDS} if in_force else {}
            context.setdefault("form", kwargs.get("form") or RatingBandsForm(initial=initial))
            context.setdefault("rerate_form", kwargs.get("rerate_form") or RerateForm(open_months=open_months))
            context.update(rerate_context(self.request))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_write(request.user, RatingBands):
            raise PermissionDenied
        form = RatingBandsForm(request.POST)
        if form.is_valid():
            try:
                bands = rating_bands_create(
                    shares=form.shares(), note=form.cleaned_data["note"], created_by=request.user
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Rating bands version %(version)s is in force for the months computed from now on.")
                    % {"version": bands.version},
                )
                return redirect("channels:rating-bands")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class HealthRerateView(RatingBandsView):
    """POST (head office): re-rate the chosen open months with the bands in force, in the background."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_write(request.user, RatingBands):
            raise PermissionDenied
        open_months = sorted(set(health_months().filter(final=False).values_list("month", flat=True)))
        form = RerateForm(request.POST, open_months=open_months)
        if form.is_valid():
            latest = JobRun.objects.aggregate(latest=Max("pk"))["latest"] or 0
            try:
                health_rerate_start(months=form.chosen_months(), started_by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Re-rating has started; its run appears below."))
                return redirect(f"{reverse('channels:rating-bands')}?after={latest}#rerate")
        return self.render_to_response(self.get_context_data(rerate_form=form), status=400)


def rerate_context(request: HttpRequest) -> dict[str, Any]:
    """Head office's recent re-rating runs, and whether the page should follow one: running, or
    asked for (``?after=`` the newest run id when it was asked) and not started yet."""
    runs = list(JobRun.objects.filter(job=RERATE_JOB).select_related("started_by").order_by("-pk")[:RECENT_RUNS])
    after = request.GET.get("after", "")
    waiting = after.isdigit() and not any(run.pk > int(after) for run in runs)
    return {
        "rerate_runs": runs,
        "follow_runs": waiting or any(run.status == JobStatus.RUNNING for run in runs),
    }
