"""The portal's own middleware: the UI language, response headers every page gets, and
exceptions a view may raise that deserve a page of their own rather than a server error."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
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


class ChosenLanguageMiddleware:
    """The UI speaks LANGUAGE_CODE (Simplified Chinese) unless the user picked another language
    with the menu at the top right, which Django's set_language view keeps in the language
    cookie. Unlike Django's LocaleMiddleware it ignores the browser's Accept-Language: a
    browser set up in English still gets the Chinese the portal's users expect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # The same URL answers in either language, chosen by the cookie.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


def chosen_language(request: HttpRequest) -> str:
    """The language picked in the menu (the language cookie), else the portal's default."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass  # a cookie naming a language the portal does not speak
    return settings.LANGUAGE_CODE


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
