"""Response headers every page gets, and exceptions a view may raise that deserve a page of
their own rather than a server error."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from dealerops.exports import ExportTooLarge


class ExportTooLargeMiddleware:
    """An XLSX export past Excel's row limit, from any list or report, becomes a 400 page that
    says why and offers the same rows as CSV, which has no such limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ExportTooLarge):
            return None
        query = request.GET.copy()
        query["export"] = "csv"
        csv_url = f"{request.path}?{query.urlencode()}"
        del query["export"]
        page_url = f"{request.path}?{query.urlencode()}" if query else request.path
        message = _(
            "This export has more rows than an Excel sheet holds (%(limit)s besides the header). "
            "Narrow the filters or export CSV."
        ) % {"limit": number_format(exception.max_rows, force_grouping=True)}
        context = {"message": message, "csv_url": csv_url, "page_url": page_url}
        return render(request, "dealerops/export_too_large.html", context, status=400)


class ContentSecurityPolicyMiddleware:
    """Sends CONTENT_SECURITY_POLICY on every response that has none: pages, plotly's charts
    and the API docs load only from this server, and no other site may frame them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
