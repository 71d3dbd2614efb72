"""Pages of background exports: the user's list, a job's progress page (polling its progress
JSON), the download and the retry of a failed job. Each reads through ``visible_exports``, so
another user's export answers 404 whatever the role."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from dealerops.export_jobs import export_job_file, export_job_retry, export_jobs_fail_abandoned, visible_exports
from dealerops.exports import XLSX_CONTENT_TYPE, ExportName, content_disposition
from dealerops.models import ExportJob, ExportStatus


class OwnExportMixin(LoginRequiredMixin):
    model = ExportJob

    def get_queryset(self):
        return visible_exports(self.request.user)

    def get_object(self, queryset=None) -> ExportJob:
        job = super().get_object(queryset)
        # A job whose worker died is said so as soon as its page asks, not only by the periodic task.
        if job.running and export_jobs_fail_abandoned(jobs=ExportJob.objects.filter(pk=job.pk)):
            job.refresh_from_db()
        return job


class ExportJobListView(OwnExportMixin, ListView):
    template_name = "dealerops/export_list.html"
    paginate_by = 50
    extra_context = {"title": _("My exports")}

    def get(self, request, *args, **kwargs):
        # An export whose worker died is listed failed, not "running" for ever.
        export_jobs_fail_abandoned(jobs=self.get_queryset())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "keep_hours": settings.EXPORT_KEEP_HOURS}


class ExportJobDetailView(OwnExportMixin, DetailView):
    template_name = "dealerops/export_detail.html"


class ExportJobProgressView(OwnExportMixin, SingleObjectMixin, View):
    """A small JSON the progress page polls."""

    def get(self, request, *args, **kwargs) -> JsonResponse:
        job = self.get_object()
        return JsonResponse(
            {
                "status": job.status,
                "status_label": str(job.get_status_display()),
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
                "running": job.running,
            }
        )


class ExportJobDownloadView(OwnExportMixin, SingleObjectMixin, View):
    def get(self, request, *args, **kwargs) -> FileResponse:
        job = self.get_object()
        if job.status != ExportStatus.SUCCEEDED:
            raise Http404
        try:
            file = open(export_job_file(job), "rb")  # noqa: SIM115 - closed by FileResponse
        except FileNotFoundError:
            raise Http404 from None
        content_type = XLSX_CONTENT_TYPE if job.fmt == "xlsx" else "text/csv; charset=utf-8"
        response = FileResponse(file, content_type=content_type)
        name = ExportName(text=job.file_name.rsplit(".", 1)[0], ascii=job.ascii_file_name.rsplit(".", 1)[0])
        response["Content-Disposition"] = content_disposition(name, job.fmt)
        return response


class ExportJobRetryView(OwnExportMixin, SingleObjectMixin, View):
    """POST: start a failed export again."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs) -> HttpResponse:
        job = self.get_object()
        if job.status != ExportStatus.FAILED:
            return redirect(job)
        return redirect(export_job_retry(job=job))
