"""Signing in: failed attempts are counted per user and per address (django-axes); past the
limit both the login page and the API's token endpoint refuse, saying when to try again."""

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check before the password backend. A sign-in with no request (``manage.py`` code,
    the test client's ``login``) has no address to count and is left to the password backend;
    every page and API sign-in passes its request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_wait(request: HttpRequest) -> timedelta:
    """How long a locked-out user or address waits: each refused attempt starts the wait again."""
    return get_cool_off(request) or timedelta(0)


def lockout_message(request: HttpRequest) -> str:
    wait = lockout_wait(request)
    until = timezone.localtime(timezone.now() + wait)
    return _(
        "Too many failed sign-ins for this user or from this address. "
        "Try again after %(time)s (in %(minutes)s minutes)."
    ) % {"time": until.strftime("%H:%M"), "minutes": max(1, round(wait.total_seconds() / 60))}


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """Axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): 429 with Retry-After, as
    JSON for the API and as the login page with the message for a browser."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(int(lockout_wait(request).total_seconds()))
    return response
