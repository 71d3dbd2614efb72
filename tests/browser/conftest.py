"""Playwright driving Debian's chromium against pytest-django's live server.

Screenshots of failed tests land in ``test-artifacts/``. Without chromium the tests are
skipped (a failure under CI=true)."""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.requirements import require

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in
# one unless told. Test configuration only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    require(Path(CHROMIUM).exists(), "Debian's chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash.setdefault("failed", report.failed)
    return report


class PageWatch:
    """Console errors, page errors and requests that left the machine, seen during a test."""

    def __init__(self, page, live_server_url: str):
        self.page = page
        self.errors: list[str] = []
        self.outside_requests: list[str] = []
        local_host = urlparse(live_server_url).hostname
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

        def record(request):
            host = urlparse(request.url).hostname
            if request.url.startswith(("http://", "https://")) and host not in (local_host, "localhost", "127.0.0.1"):
                self.outside_requests.append(request.url)

        page.on("request", record)


@pytest.fixture
def make_page(browser, live_server, request):
    """``make_page(width=1280)``: a fresh page with watchers; screenshot saved if the test fails."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900, locale: str = "en-US"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return PageWatch(page, live_server.url)

    yield open_page
    failed = request.node.stash.get("failed", False)
    for index, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
        context.close()


def log_in(watch: PageWatch, live_server_url: str, username: str, password: str) -> None:
    page = watch.page
    page.goto(f"{live_server_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/")


def open_menu(page) -> None:
    """On a phone the main menu is folded behind its button: open it before clicking a link."""
    toggle = page.locator(".nav-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
