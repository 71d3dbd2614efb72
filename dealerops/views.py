from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from channels.models import Dealer
from dealerops.access import can_write
from dealerops.audit import AuditEntry, audit_entries, change_events, may_see_all_changes
from dealerops.audit_export import ChangeLines
from dealerops.exports import bounded_count, export_format, export_name, tabular_response
from dealerops.filtersets import JobRunFilterSet
from dealerops.forms import ChangeFilterForm, RunJobForm
from dealerops.home import home_context
from dealerops.jobs import job_runs_fail_abandoned, job_start
from dealerops.models import JobRun, JobStatus
from dealerops.scoped_views import ScopedListView, ScopedMixin
from dealerops.validation import today


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The role's home page: headline numbers of the user's scope and the 24-month sales chart."""
    return render(request, "dealerops/home.html", home_context(request.user, today()))


class OperationsView(ScopedListView):
    """Job runs, newest first, and a form to run a nightly job now (e.g. re-run a past day).
    A job started here runs in the background; the page follows its runs until they finish."""

    model = JobRun
    filterset_class = JobRunFilterSet
    template_name = "dealerops/operations.html"

    def base_queryset(self):
        return JobRun.objects.select_related("started_by")

    def get(self, request, *args, **kwargs):
        job_runs_fail_abandoned()  # a run whose worker died shows as failed, not running for ever
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        progress = operations_progress(self.get_queryset())
        # After "run now": the runs it starts have ids above the newest one seen then.
        after = self.request.GET.get("after", "")
        context.update(
            run_form=kwargs.get("run_form") or RunJobForm(),
            can_run=can_write(self.request.user, JobRun),
            progress=progress,
            waiting_for_start=after.isdigit() and progress["latest"] <= int(after),
        )
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_write(request.user, JobRun):
            raise PermissionDenied
        form = RunJobForm(request.POST)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            self.filterset = self.get_filterset(self.get_filterset_class())
            self.object_list = self.filterset.qs
            return self.render_to_response(self.get_context_data(run_form=form), status=400)
        job = form.nightly_job()
        latest = operations_progress(self.get_queryset())["latest"]
        job_start(job=job, as_of=form.cleaned_data["as_of"], started_by_id=request.user.pk)
        messages.success(request, _("“%(job)s” has been started; its run appears below.") % {"job": job.label})
        return redirect(f"{reverse('operations')}?after={latest}")


def operations_progress(runs: QuerySet) -> dict[str, int]:
    """How many of ``runs`` are running, and the newest run's id: the page reloads when either changes."""
    return runs.aggregate(running=Count("pk", filter=Q(status=JobStatus.RUNNING)), latest=Coalesce(Max("pk"), 0))


class OperationsProgressView(ScopedMixin, View):
    """The small JSON the operations page polls while a job runs."""

    model = JobRun

    def get(self, request: HttpRequest) -> JsonResponse:
        job_runs_fail_abandoned()
        return JsonResponse(operations_progress(self.get_queryset()))


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the container health check: the app answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


CHANGE_EXPORT_HEADERS = [
    gettext_lazy("When"),
    gettext_lazy("Who"),
    gettext_lazy("Source"),
    gettext_lazy("Action"),
    gettext_lazy("Record type"),
    gettext_lazy("Record"),
    gettext_lazy("Dealer"),
    gettext_lazy("Field"),
    gettext_lazy("Before"),
    gettext_lazy("After"),
]


class ChangesView(LoginRequiredMixin, TemplateView):
    """Head office: every audited change across the network, filtered by user, dealer, record
    type, date range or import; newest first, paginated, exportable."""

    template_name = "dealerops/changes.html"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_see_all_changes(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        form = ChangeFilterForm(request.GET or None, viewer=request.user)
        valid = form.is_valid() if form.is_bound else True
        events = change_events(request.user, form.filters()) if valid else None
        fmt = export_format(request)
        if fmt is not None and events is not None:
            return tabular_response(
                fmt=fmt,
                filename=export_name(gettext_lazy("Changes"), today().isoformat()),
                headers=[str(header) for header in CHANGE_EXPORT_HEADERS],
                rows=ChangeLines(request.user, form.filters()),
                sheet_title=_("Changes"),
                request=request,
                # An event is a row per changed field: the events decide, they are no progress total.
                reads=bounded_count(events),
            )
        # No total count: counting every event of the network would read all the tables; one
        # row past the page says whether there is a next one.
        number = _page_number(request.GET.get("page"))
        start = (number - 1) * self.paginate_by
        window = list(events[start : start + self.paginate_by + 1]) if events is not None else []
        entries = audit_entries(request.user, ((label, pk) for label, pk, _at in window[: self.paginate_by]))
        dealers = self._dealer_names(entries)
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                page_number=number,
                previous_page=number - 1 if number > 1 else None,
                next_page=number + 1 if len(window) > self.paginate_by else None,
                rows=[(entry, dealers.get(entry.dealer_id, "")) for entry in entries],
                query_without_page=query.urlencode(),
            )
        )

    @staticmethod
    def _dealer_names(entries: list[AuditEntry]) -> dict[int, str]:
        ids = {entry.dealer_id for entry in entries} - {None}
        return {pk: str(dealer) for pk, dealer in Dealer.objects.in_bulk(ids).items()} if ids else {}


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1
