"""The portal run the way it is deployed, in fresh processes, and used through HTTP only.

A scratch database of the test run's server is migrated and seeded by ``manage.py`` in
subprocesses; gunicorn (gunicorn.conf.py, production settings: DEBUG off, a SECRET_KEY,
ALLOWED_HOSTS, collected static files) serves it, with no broker, as ``make run`` runs the
jobs. A client with cookies logs in through the real /login/ page as each demo role, opens
every entry of the navigation the page renders (and the first record a list links to), and
head office runs every job the operations page offers until its runs finish.

Nothing here imports the application: whatever works in the suite only because the test
process imported it (a Celery task module, say) fails here.
"""

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import pytest

from tests.scratch_db import database_url, scratch_database

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.002"  # 16 dealers, a year of sales: every list has rows, seeded in seconds
DEMO_PASSWORD = "demo-pass-2026"  # printed by seed_demo for the demo accounts
ROLES = ("dealer", "manager", "finance", "admin")  # the demo accounts, one per role
COMMAND_TIMEOUT = 120
JOB_TIMEOUT = 60


@dataclass
class Page:
    """What the smoke run reads from a rendered page."""

    nav_links: list[str] = field(default_factory=list)
    subpage_links: list[str] = field(default_factory=list)  # a page's own sub-pages (nav.subpages)
    row_links: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    selected: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._nav_depth = 0
        self._in_tbody = False
        self._in_subpages = False
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "nav" and "subpages" in (attributes.get("class") or "").split():
            self._in_subpages = True
        elif tag == "nav" and (self._nav_depth or not self.page.nav_links):
            self._nav_depth += 1
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "a" and attributes.get("href"):
            if self._nav_depth:
                self.page.nav_links.append(attributes["href"])
            elif self._in_subpages:
                self.page.subpage_links.append(attributes["href"])
            elif self._in_tbody:
                self.page.row_links.append(attributes["href"])
        elif tag == "input" and attributes.get("name"):
            self.page.inputs.setdefault(attributes["name"], attributes.get("value") or "")
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select:
            self.page.options.setdefault(self._select, []).append(attributes.get("value") or "")
            if "selected" in attributes:
                self.page.selected[self._select] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "nav" and self._in_subpages:
            self._in_subpages = False
        elif tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "select":
            self._select = None


def parse(html: str) -> Page:
    parser = _PageParser()
    parser.feed(html)
    return parser.page


class _SecureCookiesOverLoopback(http.cookiejar.DefaultCookiePolicy):
    """Production marks the session and CSRF cookies Secure; the proxy that terminates HTTPS
    is played by the X-Forwarded-Proto header, so the client sends them over plain HTTP."""

    def return_ok_secure(self, cookie, request):
        return True


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Response:
    status: int
    location: str
    body: str


class Browser:
    """A cookie-keeping HTTP client that answers redirects itself (to see each status)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar(policy=_SecureCookiesOverLoopback())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def request(self, path: str, data: dict[str, str] | None = None) -> Response:
        url = urllib.parse.urljoin(self.base_url, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 - the portal on loopback
        request.add_header("X-Forwarded-Proto", "https")
        # Django checks a secure POST's Referer against the host.
        request.add_header("Referer", urllib.parse.urljoin(self.base_url.replace("http:", "https:"), path))
        request.add_header("Accept-Language", "zh-Hans")
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, answer.headers.get("Location", ""), answer.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers.get("Location", ""), error.read().decode(errors="replace"))

    def get(self, path: str) -> Response:
        return self.request(path)

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        """Submit the form of ``path`` as rendered (its CSRF token) with ``fields``."""
        page = self.get(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        token = parse(page.body).inputs["csrfmiddlewaretoken"]
        return self.request(path, {"csrfmiddlewaretoken": token, **fields})

    def log_in(self, username: str) -> None:
        answer = self.post_form("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert answer.status == 302, f"log-in of {username}: {answer.status}\n{answer.body[:2000]}"


@dataclass(frozen=True)
class Portal:
    base_url: str
    database_url: str


def run_manage(environment: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, f"gunicorn exited with {server.returncode}:\n{server.stdout.read()}"
        try:
            if Browser(base_url).get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("gunicorn did not answer /healthz within 30 s")


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[Portal]:
    with scratch_database("portal_smoke") as name:
        url = database_url(name)
        port = free_port()
        inherited = {
            key: value
            for key, value in os.environ.items()
            # No broker: the jobs run in the web process, as with `make run`.
            if key not in {"DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL", "DEBUG", "CACHE_URL"}
        }
        environment = {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "dealerops.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": url,
            "STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
            "WEB_BIND": f"127.0.0.1:{port}",
            "WEB_WORKERS": "2",
        }
        run_manage(environment, "migrate", "--noinput", "-v0")
        run_manage(environment, "seed_demo", "--scale", SCALE)
        run_manage(environment, "collectstatic", "--noinput", "-v0")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dealerops.wsgi"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base_url, server)
            yield Portal(base_url, url)
        finally:
            server.terminate()
            output, _ = server.communicate(timeout=30)
            # The server's log (tracebacks of any 500) shows with a failing test.
            print(output[-20_000:])


def is_page(link: str) -> bool:
    """A link to another page of the portal (not an export, an anchor or another site)."""
    parts = urllib.parse.urlsplit(link)
    return not parts.scheme and link.startswith("/") and "export=" not in parts.query


@pytest.mark.parametrize("username", ROLES)
def test_each_role_opens_every_page_of_its_navigation_and_a_record_of_each_list(portal, username):
    browser = Browser(portal.base_url)
    browser.log_in(username)
    home = browser.get("/")
    assert home.status == 200
    links = [link for link in dict.fromkeys(parse(home.body).nav_links) if is_page(link)]
    assert len(links) >= 4, f"{username}'s navigation: {links}"
    failures = []
    for link in links:  # grows by the sub-pages the pages name
        page = browser.get(link)
        if page.status != 200:
            failures.append(f"{link}: {page.status}")
            continue
        read = parse(page.body)
        links += [sub for sub in read.subpage_links if is_page(sub) and sub not in links]
        records = [row for row in read.row_links if is_page(row) and not row.startswith("?")]
        if records:
            record = browser.get(records[0])
            if record.status != 200:
                failures.append(f"{records[0]} (first record of {link}): {record.status}")
    assert not failures, f"{username}: " + "; ".join(failures)


def test_head_office_runs_every_job_of_the_operations_page_and_each_run_succeeds(portal):
    browser = Browser(portal.base_url)
    browser.log_in("admin")
    form = parse(browser.get("/operations/").body)
    jobs = [job for job in form.options.get("job", []) if job]
    assert len(jobs) >= 4, f"jobs offered: {jobs}"
    # What a browser's date picker sends: it shows a value in any other format as empty.
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", form.inputs["as_of"]), form.inputs["as_of"]
    with psycopg.connect(portal.database_url, autocommit=True) as database:
        for job in jobs:
            started = database.execute("SELECT now()").fetchone()[0]
            answer = browser.post_form("/operations/", {"job": job, "as_of": form.inputs["as_of"]})
            assert answer.status == 302, f"run {job}: {answer.status}\n{answer.body[:3000]}"
            runs = wait_for_runs(database, job, started)
            assert runs and all(status == "succeeded" for status, _error in runs), f"{job}: {runs}"
    operations = browser.get("/operations/")
    assert operations.status == 200
    for job in jobs:
        assert job not in operations.body.split("<tbody>", 1)[-1], f"{job} shown by its code, not its name"


def test_head_office_sets_rating_bands_and_rerates_an_open_month_and_the_run_succeeds(portal):
    browser = Browser(portal.base_url)
    browser.log_in("admin")
    shares = {"a_share": "10", "b_share": "40", "c_share": "40", "d_share": "10", "note": "smoke"}
    saved = browser.post_form("/health/bands/", shares)
    assert saved.status == 302, f"new bands: {saved.status}\n{saved.body[:3000]}"
    months = parse(browser.get("/health/bands/").body).inputs
    assert "months" in months, "no open month offered for re-rating"
    with psycopg.connect(portal.database_url, autocommit=True) as database:
        started = database.execute("SELECT now()").fetchone()[0]
        # The re-rating form is on the bands page and posts to its own address.
        fields = {"csrfmiddlewaretoken": months["csrfmiddlewaretoken"], "months": months["months"]}
        answer = browser.request("/health/bands/rerate/", fields)
        assert answer.status == 302, f"re-rate: {answer.status}\n{answer.body[:3000]}"
        runs = wait_for_runs(database, "channels.rerate_health", started)
        assert runs and all(status == "succeeded" for status, _error in runs), runs
        bands = database.execute(
            "SELECT b.version FROM channels_healthmonth m JOIN channels_ratingbands b ON b.id = m.rating_bands_id "
            "WHERE m.month = %s",
            [months["months"]],
        ).fetchall()
    assert bands and all(version == 3 for (version,) in bands), bands
    dashboard = browser.get("/health/?month=" + months["months"][:7])
    assert dashboard.status == 200 and 'id="rating-distribution-data"' in dashboard.body


def wait_for_runs(database: psycopg.Connection, job: str, since) -> list[tuple[str, str]]:
    """The job's runs started since ``since``, once there is one and none is still running."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        runs = database.execute(
            "SELECT status, error FROM dealerops_jobrun WHERE job = %s AND started_at >= %s ORDER BY id",
            [job, since],
        ).fetchall()
        if runs and all(status != "running" for status, _error in runs):
            return runs
        time.sleep(0.5)
    raise AssertionError(f"{job}: no finished run within {JOB_TIMEOUT} s: {runs}")


def test_head_office_saves_a_city_market_through_its_form_and_opens_the_tables_import(portal):
    """The market table's pages beyond the navigation: its add form, a city's edit form saved as
    it stands (the service, the capacity model and the audit trigger, in production settings),
    and the upload page with the table's kind chosen."""
    browser = Browser(portal.base_url)
    browser.log_in("admin")
    listing = browser.get("/markets/")
    assert listing.status == 200 and 'href="/markets/new/"' in listing.body
    assert browser.get("/markets/new/").status == 200
    city = next(link for link in parse(listing.body).row_links if re.fullmatch(r"/markets/\d+/", link))
    form = parse(browser.get(f"{city}edit/").body)
    fields = {name: value for name, value in form.inputs.items() if name != "csrfmiddlewaretoken"}
    answer = browser.post_form(f"{city}edit/", {**fields, "region": form.selected["region"]})
    assert answer.status == 302 and answer.location.endswith(city), f"{answer.status}\n{answer.body[:3000]}"
    assert "修改数据" in browser.get(city).body  # the city's page offers its form to head office
    upload = browser.get("/imports/new/?kind=city_markets")
    assert upload.status == 200 and parse(upload.body).selected["kind"] == "city_markets"


def test_every_task_beat_schedules_is_known_to_a_fresh_worker_process():
    """Beat sends names (and pages send the on-demand jobs' names); a worker that has not
    imported a name drops the job every night."""
    code = (
        "import django\ndjango.setup()\n"
        "from dealerops.celery import app\nfrom dealerops.schedules import ON_DEMAND_JOBS, beat_schedule\n"
        "app.loader.import_default_modules()  # what a starting worker imports\n"
        "sent = {entry['task'] for entry in beat_schedule().values()} | {job.task for job in ON_DEMAND_JOBS}\n"
        "print(*sorted(sent - set(app.tasks)))\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **environment,
            "DJANGO_SETTINGS_MODULE": "dealerops.settings.production",
            "SECRET_KEY": "smoke",
            # Not read; named so that settings do not start an embedded server of their own.
            "DATABASE_URL": database_url("postgres"),
        },
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"scheduled but unknown to a worker: {done.stdout}"
