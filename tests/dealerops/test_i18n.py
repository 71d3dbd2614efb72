"""Simplified Chinese by default, English selectable, and a complete, compiled catalogue."""

import gettext
from pathlib import Path

import polib
import pytest
from django.test import override_settings

CATALOGUE = Path(__file__).resolve().parents[2] / "dealerops" / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="zh-hans")
def test_the_portal_speaks_simplified_chinese_by_default(client):
    page = client.get("/login/").content.decode()
    assert "登录经销商运营平台" in page
    assert '<html lang="zh-hans">' in page


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="zh-hans")
def test_a_browser_asking_for_english_still_gets_chinese(network, client_for):
    """Chinese unless the user picks English: the browser's own language does not count."""
    assert (
        "登录经销商运营平台"
        in client_for(network.dealer_user).get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    page = client_for(network.dealer_user).get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "本月销量" in page.content.decode()
    assert page["Content-Language"] == "zh-hans"


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="zh-hans")
def test_english_chosen_in_the_menu_stays_until_chinese_is_chosen(network, client_for):
    client = client_for(network.dealer_user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"]["max-age"] == 365 * 24 * 3600  # kept, not for one visit
    assert "Units sold this month" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    client.post("/logout/")
    assert "Log in to dealerops" in client.get("/login/").content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    assert "登录经销商运营平台" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="zh-hans")
def test_a_language_cookie_the_portal_does_not_speak_falls_back_to_chinese(client):
    client.cookies["django_language"] = "fr"
    assert "登录经销商运营平台" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_every_string_is_translated_and_compiled():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    untranslated = [entry.msgid for entry in catalogue if entry.fuzzy or not entry.translated()]
    assert untranslated == []
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)

    def compiled_text(entry: polib.POEntry) -> str:
        if entry.msgid_plural:
            if entry.msgctxt:
                return translations.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
            return translations.ngettext(entry.msgid, entry.msgid_plural, 1)
        if entry.msgctxt:  # a pgettext() string: the same words meaning something else elsewhere
            return translations.pgettext(entry.msgctxt, entry.msgid)
        return translations.gettext(entry.msgid)

    def written(entry: polib.POEntry) -> str:
        return entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr

    stale = [entry.msgid for entry in catalogue if compiled_text(entry) != written(entry)]
    assert stale == [], "run the catalogue compiler: django.mo is older than django.po"
