"""The account page: who the user is, and the API tokens they may see and revoke (their own;
head office every user's)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealerops.models import User
from dealerops.tokens import api_token_expires_at, api_token_is_expired, api_token_revoke, api_tokens_visible


@login_required
def account(request: HttpRequest) -> HttpResponse:
    tokens = [
        {
            "user": token.user,
            "created": token.created,
            "expires_at": api_token_expires_at(token),
            "expired": api_token_is_expired(token),
        }
        for token in api_tokens_visible(request.user)
    ]
    context = {"tokens": tokens, "token_lifetime_days": settings.API_TOKEN_LIFETIME_DAYS}
    return render(request, "dealerops/account.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    """POST ``user``: the id of the user whose token is revoked (the caller's own, or anyone's for head office)."""
    try:
        user = get_object_or_404(User, pk=int(request.POST.get("user", "")))
    except ValueError:
        raise Http404 from None
    if api_token_revoke(user=user, revoked_by=request.user):
        messages.success(request, _("The API token of %(user)s is revoked.") % {"user": user.username})
    return redirect("account")
