"""Sign-in lockout (page and API), token lifetime and revocation, 401 for anonymous API calls."""

from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def wrong_logins(client, username: str, count: int, **extra):
    return [client.post("/login/", {"username": username, "password": "wrong"}, **extra) for _ in range(count)]


def test_thirty_wrong_passwords_on_the_login_page_lock_the_user_out_saying_when(network, client):
    answers = wrong_logins(client, "dealer", 30)
    assert [answer.status_code for answer in answers[:9]] == [200] * 9
    assert {answer.status_code for answer in answers[9:]} == {429}
    client.cookies["django_language"] = "zh-hans"  # the UI follows the chosen language, not Accept-Language
    locked = client.post("/login/", {"username": "dealer", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    page = locked.content.decode()
    assert "登录失败次数过多" in page and "15 分钟" in page
    assert "_auth_user_id" not in client.session


def test_the_lockout_counts_failures_from_one_address_across_user_names(network, client):
    for name in ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"):
        client.post("/login/", {"username": name, "password": "wrong"})
    assert client.post("/login/", {"username": "dealer", "password": PASSWORD}).status_code == 429
    # Another address may still sign in as the dealer (its user name has no failures).
    other = client.post("/login/", {"username": "dealer", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_a_success_clears_the_user_s_failures(network, client):
    wrong_logins(client, "dealer", 9)
    assert client.post("/login/", {"username": "dealer", "password": PASSWORD}).status_code == 302
    client.logout()
    wrong_logins(client, "dealer", 9, REMOTE_ADDR="10.0.0.8")
    assert (
        client.post("/login/", {"username": "dealer", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8").status_code == 302
    )


def test_the_token_endpoint_locks_out_with_a_429_in_chinese(network):
    client = APIClient()
    answers = [
        client.post("/api/v1/auth/token/", {"username": "dealer", "password": "wrong"}).status_code for _ in range(30)
    ]
    assert answers[:9] == [400] * 9 and set(answers[9:]) == {429}
    client.cookies["django_language"] = "zh-hans"  # the UI follows the chosen language, not Accept-Language
    locked = client.post("/api/v1/auth/token/", {"username": "dealer", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "登录失败次数过多" in locked.json()["detail"]
    assert not Token.objects.exists()


def test_an_anonymous_api_call_answers_401_with_www_authenticate(network):
    response = APIClient().get("/api/v1/dealers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_works_within_its_lifetime_and_not_after(network):
    client = APIClient()
    issued = client.post("/api/v1/auth/token/", {"username": "dealer", "password": PASSWORD}).json()
    token = Token.objects.get(user=network.dealer_user)
    assert issued["token"] == token.key
    assert datetime.fromisoformat(issued["expires_at"]) == token.created + timedelta(days=30)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/dealers/").status_code == 200

    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=31))
    expired = client.get("/api/v1/dealers/")
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]

    renewed = APIClient().post("/api/v1/auth/token/", {"username": "dealer", "password": PASSWORD}).json()
    assert renewed["token"] != token.key


@override_settings(API_TOKEN_LIFETIME_DAYS=1)
def test_the_lifetime_is_a_setting(network):
    token = Token.objects.create(user=network.dealer_user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=2))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/dealers/").status_code == 401


def test_the_caller_revokes_its_token_through_the_api(network):
    token = Token.objects.create(user=network.dealer_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/dealers/").status_code == 401


def test_a_user_revokes_their_own_token_on_the_account_page(network, client_for):
    Token.objects.create(user=network.dealer_user)
    other = Token.objects.create(user=network.regional_manager)
    client = client_for(network.dealer_user)
    page = client.get("/account/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "dealer" in page and "manager" not in page
    assert client.post("/account/tokens/revoke/", {"user": network.regional_manager.pk}).status_code == 403
    assert Token.objects.filter(pk=other.pk).exists()
    assert client.post("/account/tokens/revoke/", {"user": network.dealer_user.pk}).status_code == 302
    assert not Token.objects.filter(user=network.dealer_user).exists()


def test_head_office_sees_and_revokes_anyone_s_token(network, client_for):
    Token.objects.create(user=network.dealer_user)
    client = client_for(network.head_office)
    assert "dealer" in client.get("/account/").content.decode()
    assert client.post("/account/tokens/revoke/", {"user": network.dealer_user.pk}).status_code == 302
    assert not Token.objects.exists()
