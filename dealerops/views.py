from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dealerops.access import can_write
from dealerops.celery import app as celery_app
from dealerops.filtersets import JobRunFilterSet
from dealerops.forms import RunJobForm
from dealerops.home import home_context
from dealerops.models import JobRun
from dealerops.scoped_views import ScopedListView
from dealerops.validation import today


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The role's home page: headline numbers of the user's scope and the 24-month sales chart."""
    return render(request, "dealerops/home.html", home_context(request.user, today()))


class OperationsView(ScopedListView):
    """Job runs, newest first, and a form to run a nightly job now (e.g. re-run a past day)."""

    model = JobRun
    filterset_class = JobRunFilterSet
    template_name = "dealerops/operations.html"

    def base_queryset(self):
        return JobRun.objects.select_related("started_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["run_form"] = kwargs.get("run_form") or RunJobForm()
        context["can_run"] = can_write(self.request.user, JobRun)
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
        task = celery_app.tasks[form.task_name()]
        as_of, user_id = form.cleaned_data["as_of"].isoformat(), request.user.pk
        transaction.on_commit(lambda: task.delay(as_of=as_of, started_by_id=user_id))
        messages.success(request, _("The job has been started; its run appears below."))
        return redirect("operations")


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the container health check: the app answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
