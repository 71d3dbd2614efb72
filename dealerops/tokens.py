"""API tokens: issued for a lifetime (API_TOKEN_LIFETIME_DAYS), revoked by their user or by
head office. One token per user (DRF's Token); asking for a token again after it expired or
was revoked issues a new key.

Logging out of the pages ends the browser session only: a token is what a script or a
dealer's system holds, and ends when its lifetime does or when it is revoked on the account
page (or with DELETE /api/v1/auth/token/)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dealerops.models import User


def api_token_lifetime() -> timedelta:
    return timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


def api_token_expires_at(token: Token) -> datetime:
    return token.created + api_token_lifetime()


def api_token_is_expired(token: Token) -> bool:
    return api_token_expires_at(token) <= timezone.now()


@transaction.atomic
def api_token_issue(*, user: User) -> Token:
    """The user's live token, or a new one when it has none or its lifetime is over."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and not api_token_is_expired(token):
        return token
    if token is not None:
        token.delete()
    return Token.objects.create(user=user)


def api_token_revoke(*, user: User, revoked_by: User) -> bool:
    """Delete ``user``'s token (a user their own, head office anyone's); True if there was one."""
    if revoked_by.pk != user.pk and not revoked_by.is_head_office:
        raise PermissionDenied
    deleted, _rows = Token.objects.filter(user=user).delete()
    return bool(deleted)


def api_tokens_visible(user: User) -> QuerySet[Token]:
    """The tokens a user may see on the account page: their own, and every one for head office."""
    tokens = Token.objects.select_related("user").order_by("user__username")
    return tokens if user.is_head_office else tokens.filter(user=user)
