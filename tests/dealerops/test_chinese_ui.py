"""The Chinese UI is Chinese everywhere: every page of the URLconf, every export, every filter.

Three nets, so the next app cannot bring English back:
- the catalogue: every msgid in the project's source has a Chinese translation;
- the filters: every FilterSet's labels and choices (the empty one included) read in Chinese;
- the pages: every URL, opened by every role in zh-Hans, shows no English words besides the
  records' own data and a few names that are written in Latin letters in Chinese too.
"""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import django_filters
import polib
import pytest
from django.apps import apps
from django.db import models
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import get_resolver
from django.utils import translation
from openpyxl import load_workbook

from channels.health.services import health_weights_in_force
from dealerops.access import rule_for
from dealerops.exports import EXPORT_FORMATS, XLSX_CONTENT_TYPE
from dealerops.models import ExportStatus, Role
from tests.access.test_matrix import answer, detail_routes, list_routes, model_of, records  # noqa: F401 - fixture
from tests.factories import CustomerFactory, ExportJobFactory
from tests.requirements import require

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "dealerops" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Written in Latin letters on a Chinese page too: the product's name, file formats, standard
# abbreviations of the trade and the language menu's own name for English;
# AUC (the area under a model's ROC curve) is written so in Chinese statistics too, and so are
# the forecast's measures (WAPE, MASE, ADI, CV²) and methods (Theta, TSB, Croston SBA, ADIDA).
LATIN_WORDS = {
    *("dealerops", "API", "CSV", "XLSX", "UTF", "GBK", "VIN", "CRM", "DMS", "App", "English", "AUC"),
    *("WAPE", "MASE", "ADI", "CV", "Theta", "TSB", "Croston", "SBA", "ADIDA"),
}
LATIN_UPPER = {word.upper() for word in LATIN_WORDS}  # a file name's ".csv" as well
# Words of the records themselves (names, codes, notes) are data, not UI: they are removed
# before looking for English.
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
# An API call the page tells the reader to make ("POST /api/v1/auth/token/") is typed as is.
ENDPOINT = re.compile(r"(?:\b(?:GET|POST|PUT|PATCH|DELETE) )?/[A-Za-z0-9_\-/.<>{}]+/")
# A page's own address (a lead page's URL, printed beside its QR code) is typed as is too.
ADDRESS = re.compile(r"https?://\S+")
# What a library prints when a label or choice has no translation: these never are data.
LIBRARY_ENGLISH = ("---------", "True", "False", "None", "(descending)", "Forbidden", "Not Found", "Server Error")


class VisibleText(HTMLParser):
    """The text a user reads: text nodes (script and style excluded), option labels, the
    attributes that show (placeholder, title, aria-label, alt, button values) and the titles,
    axis titles, trace names and hover texts of the plotly figures the page embeds."""

    SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.json = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name in self.SHOWN_ATTRIBUTES and value:
                self.parts.append(value)
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.parts.append(attributes["value"])
        if tag in ("script", "style"):
            self.skip += 1
            self.json = tag == "script" and attributes.get("type") == "application/json"

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
            self.json = False

    def handle_data(self, data):
        if self.json:
            self.parts.extend(figure_texts(json.loads(data)))
        elif not self.skip and data.strip():
            self.parts.append(data.strip())


def figure_texts(value, key: str = "") -> list[str]:
    """The strings of a plotly figure that reach the screen."""
    if isinstance(value, dict):
        return [text for name, item in value.items() for text in figure_texts(item, name)]
    if isinstance(value, list):
        return [text for item in value for text in figure_texts(item, key)]
    if isinstance(value, str) and key in ("text", "name", "hovertemplate", "title", "ticksuffix", "tickprefix"):
        # A hover template's %{x} placeholders and <br> are plotly's, not words.
        return [re.sub(r"%\{[^}]*\}|<[^>]+>", " ", value)]
    return []


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def export_text(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith(XLSX_CONTENT_TYPE):
        workbook = load_workbook(io.BytesIO(body), read_only=True)
        return [str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row if cell]


def data_strings() -> list[str]:
    """Every text the test records hold (and the users' names), longest first."""
    found: set[str] = set()
    for model in apps.get_models():
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField)
        ]
        json_fields = [field.name for field in model._meta.concrete_fields if isinstance(field, models.JSONField)]
        for row in model._default_manager.values_list(*fields, *json_fields) if fields or json_fields else []:
            for value in row:
                found.update(flatten(value))
    return sorted((text for text in found if WORD.search(text)), key=len, reverse=True)


def flatten(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (*flatten(key), *flatten(item))]
    if isinstance(value, list | tuple):
        return [text for item in value for text in flatten(item)]
    return []


def file_vocabulary() -> list[str]:
    """The header spellings upload files may use (English ones included): the pages name them
    as they must be typed, so they count as data."""
    from datahub.kinds import SPECS
    from finance.services.statement_files import FIELDS, HEADER_ALIASES

    with translation.override("en"):
        words = {str(label) for label in FIELDS.values()} | set().union(*HEADER_ALIASES.values())
        for spec in SPECS.values():
            words |= {text for field in spec.fields for text in (field.name, str(field.label), *field.aliases)}
            words |= {str(value) for value in spec.example.values()}  # the template's example row
    return sorted(words, key=len, reverse=True)


def english_in(texts: list[str], data: list[str]) -> list[str]:
    """The texts that still hold English once the records' own data is taken out."""
    # Whole words only: taking "GB" out of "GBK" must not leave a "K".
    # Case aside: a header spelling reads "sold on" in a list where its label is "Sold on".
    # Longest first: "sold" of one list must not leave the "on" of another's "sold on".
    alternatives = "|".join(re.escape(value) for value in sorted(set(data), key=len, reverse=True))
    known = re.compile(r"(?<![A-Za-z])(?:" + alternatives + r")(?![A-Za-z])", re.IGNORECASE)
    found = []
    for text in texts:
        rest = ENDPOINT.sub(" ", ADDRESS.sub(" ", text))
        rest = known.sub(" ", rest) if data else rest
        words = [word for word in WORD.findall(rest) if word.upper() not in LATIN_UPPER]
        if words or any(marker in text for marker in LIBRARY_ENGLISH):
            found.append(text)
    return found


# --- the catalogue ------------------------------------------------------------------------


SOURCE_IGNORED = (".*", "__pycache__", "locale", "tests", "bench", "staticfiles", "test-artifacts", "node_modules")


def source_msgids(workdir: Path) -> set[str]:
    """The msgids makemessages extracts from the project's source.

    It runs on a copy of the source without its ``locale`` folders: makemessages writes into
    every ``locale`` folder it walks past, and the real catalogue must stay as it is."""
    source, output = workdir / "source", workdir / "catalogue"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*SOURCE_IGNORED))
    script = (
        "import django\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "django.setup()\n"
        f"settings.LOCALE_PATHS = [{str(output)!r}]\n"
        "call_command('makemessages', locale=['zh_Hans'], verbosity=0, no_obsolete=True)\n"
    )
    # A process of its own, in the copy: makemessages walks its working directory.
    # A database URL, so the settings start no embedded server: makemessages never connects.
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dealerops.settings.test",
        "PYTHONPATH": str(source),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://unused@127.0.0.1:1/unused",
    }
    subprocess.run([sys.executable, "-c", script], cwd=source, check=True, env=environment)
    extracted = polib.pofile(str(output / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    return {entry.msgid for entry in extracted if entry.msgid}


def test_every_string_of_the_source_has_a_chinese_translation(tmp_path):
    require(shutil.which("xgettext") is not None, "GNU gettext (xgettext, for makemessages)")
    translated = {entry.msgid for entry in polib.pofile(str(CATALOGUE)) if entry.translated() and not entry.fuzzy}
    missing = sorted(source_msgids(tmp_path) - translated)
    assert missing == [], f"add these to {CATALOGUE.relative_to(ROOT)} with their Chinese: {missing}"


# --- the filters --------------------------------------------------------------------------


def project_filtersets() -> list[type[django_filters.FilterSet]]:
    assert get_resolver().url_patterns  # importing the URLconf imports every page's and endpoint's FilterSet

    def subclasses(cls):
        for subclass in cls.__subclasses__():
            yield subclass
            yield from subclasses(subclass)

    # The project's own apps only: a virtualenv inside the checkout holds the libraries' apps too.
    app_modules = tuple(f"{config.name}." for config in apps.get_app_configs() if (ROOT / config.name).is_dir())
    found = {cls for cls in subclasses(django_filters.FilterSet) if cls.__module__.startswith(app_modules)}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__name__}")


def filter_texts(filterset_class) -> list[tuple[str, str]]:
    """(where, text) of every label, help text and choice label of the FilterSet's form."""
    form = filterset_class(queryset=filterset_class._meta.model._default_manager.none()).form
    texts = []
    for name, field in form.fields.items():
        texts.append((f"{name} label", str(field.label)))
        if field.help_text:
            texts.append((f"{name} help text", str(field.help_text)))
        if getattr(field, "queryset", None) is None:
            for value, label in getattr(field, "choices", []):
                texts.append((f"{name} choice {value!r}", str(label)))
        elif getattr(field, "empty_label", None):
            texts.append((f"{name} empty choice", str(field.empty_label)))
        widget_choices = getattr(field.widget, "choices", None)
        if isinstance(field, django_filters.fields.forms.NullBooleanField) and widget_choices:
            texts.extend((f"{name} choice {value!r}", str(label)) for value, label in widget_choices)
    return texts


@pytest.mark.django_db
def test_every_filter_label_and_choice_reads_in_chinese():
    filtersets = project_filtersets()
    assert len(filtersets) >= 10, "the FilterSet walk is broken"
    untranslated = []
    for filterset_class in filtersets:
        with translation.override("en"):
            english = filter_texts(filterset_class)
        with translation.override("zh-hans"):
            chinese = filter_texts(filterset_class)
        for (where, text_en), (_where, text_zh) in zip(english, chinese, strict=True):
            same = text_en == text_zh and any(word not in LATIN_WORDS for word in WORD.findall(text_zh))
            if same or any(marker in text_zh for marker in LIBRARY_ENGLISH):
                untranslated.append(f"{filterset_class.__name__} {where}: {text_zh}")
    assert untranslated == [], "untranslated filter texts:\n" + "\n".join(untranslated)


@pytest.mark.django_db
def test_an_empty_filter_choice_reads_all(network, client_for):
    with override_settings(LANGUAGE_CODE="zh-hans"):
        page = client_for(network.head_office).get("/sales/").content.decode()
    assert '<option value="" selected>全部</option>' in page
    assert "---------" not in page
    with override_settings(LANGUAGE_CODE="zh-hans"):
        page = client_for(network.head_office).get("/customers/").content.decode()
    assert '<option value="unknown" selected>全部</option>' in page  # a yes/no filter too, not 未知


# --- the pages ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role.values))
def test_every_page_and_export_reads_in_chinese(network, records, client_for, role, settings, tmp_path):  # noqa: F811 - fixture
    client_user = network.users()[role]
    client = client_for(client_user)
    data = data_strings() + file_vocabulary()
    english: list[str] = []
    opened = 0
    # Before the override below: the fixture's change outlives a block it is made inside.
    settings.EXPORT_ROOT = tmp_path
    (tmp_path / "own.csv").write_text("Reference\n")
    with override_settings(LANGUAGE_CODE="zh-hans"):
        lists = {route.url() for route in list_routes()}
        urls = sorted(lists)
        for route in detail_routes():
            model = model_of(route)
            if rule_for(model).owner is not None:  # a user's own record (a background export)
                record = ExportJobFactory(
                    owner=client_user,
                    status=ExportStatus.SUCCEEDED,
                    stored_as="own.csv",
                    title="贷款",
                    language="zh-hans",
                    file_name="贷款-2026-12-02.csv",
                )
            else:
                record = records["shared"].get(model._meta.label) or records["home"][model._meta.label]
            urls.append(route.url(pk=record.pk))
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            if response.status_code == 405 or not response.get("Content-Type", "").startswith("text/html"):
                continue  # POST-only actions; the API's JSON (its field names are the contract)
            opened += 1
            english += [
                f"{url} ({response.status_code}): {text}"
                for text in english_in(visible_text(response.content.decode()), data)
            ]
            if response.status_code == 200 and url in lists:
                for fmt in EXPORT_FORMATS:
                    exported = client.get(url, {"export": fmt}, HTTP_ACCEPT_LANGUAGE="zh-hans")
                    if exported.status_code == 200 and not exported["Content-Type"].startswith("text/html"):
                        english += [f"{url}?export={fmt}: {text}" for text in english_in(export_text(exported), data)]
    assert opened >= 20, "the URL walk is broken"
    assert english == [], "English on the zh-Hans UI:\n" + "\n".join(english)


# --- what users reported ------------------------------------------------------------------


@pytest.mark.django_db
def test_filter_labels_stay_chinese_after_someone_reads_the_api_schema(network, client_for):
    """drf-spectacular used to build the filters' form fields on the FilterSet classes, and
    every page copied them: after one look at the API docs, "Payment" and "Status" in English."""
    client = client_for(network.head_office)
    with override_settings(LANGUAGE_CODE="zh-hans"):
        assert client.get("/api/schema/").status_code == 200
        page = client.get("/sales/").content.decode()
    assert "付款方式" in page
    assert "Payment" not in page


@pytest.mark.django_db
def test_the_customer_list_and_its_exports_say_yes_or_no_in_chinese(network, client_for):
    CustomerFactory(home_dealer=network.home_dealer, name="Consenting Li", marketing_consent=True)
    client = client_for(network.head_office)
    with override_settings(LANGUAGE_CODE="zh-hans"):
        page = visible_text(client.get("/customers/").content.decode())
        exported_csv = export_text(client.get("/customers/", {"export": "csv"}))
        exported_xlsx = export_text(client.get("/customers/", {"export": "xlsx"}))
    assert "是" in page and "True" not in page
    for cells in (exported_csv, exported_xlsx):
        assert "是" in cells and "True" not in cells


@pytest.mark.django_db
def test_a_refused_page_keeps_the_menu_and_says_why_in_chinese(network, client_for):
    with override_settings(LANGUAGE_CODE="zh-hans"):
        response = client_for(network.dealer_user).get("/operations/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "无权访问此页面" in page
    assert "您的角色（经销商用户）无权打开此页面" in page
    assert 'aria-label="主菜单"' in page and "退出登录" in page  # the navigation and the user box
    assert "Forbidden" not in page


@pytest.mark.django_db
def test_a_missing_page_keeps_the_menu_and_says_why_in_chinese(network, client_for):
    with override_settings(LANGUAGE_CODE="zh-hans"):
        response = client_for(network.dealer_user).get(f"/dealers/{network.foreign_dealer.pk}/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in page and "不在您可查看的范围内" in page
    assert 'aria-label="主菜单"' in page
    assert "Not Found" not in page


@pytest.mark.parametrize(("template", "title"), [("500.html", "服务器错误"), ("400.html", "请求无效")])
def test_the_server_error_and_bad_request_pages_are_chinese(template, title):
    # Django renders these without a request (nothing that may have failed is touched).
    with translation.override("zh-hans"):
        page = render_to_string(template)
    assert f"<h1>{title}</h1>" in page
    assert english_in(visible_text(page), []) == []


@pytest.mark.django_db
def test_equal_weights_are_described_in_the_readers_language():
    weights = health_weights_in_force()
    assert weights.note == ""  # no English sentence stored as data
    with translation.override("zh-hans"):
        assert weights.summary() == "各指标权重相同"
    with translation.override("en"):
        assert weights.summary() == "Equal weights"


@pytest.mark.django_db
def test_the_login_page_reads_in_chinese_whatever_the_browser_asks_for(client):
    with override_settings(LANGUAGE_CODE="zh-hans"):
        page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert english_in(visible_text(page), []) == []
