"""The Content-Security-Policy holds the pages, plotly's charts and maps and the API docs:
each renders in chromium with no violation reported."""

import pytest

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation fires this event; the console message alone could be missed.
VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


# Redoc's bundle shows its maker's logo from the maker's CDN: refused, as anything from
# another site is (the portal works offline), and nothing else is.
OUTSIDE = "https://cdn.redoc.ly/"


def visit(watch, url: str, selector: str) -> list[str]:
    page = watch.page
    page.goto(url)
    page.wait_for_selector(selector)
    page.wait_for_timeout(500)
    return [violation for violation in page.evaluate("window.__violations") if OUTSIDE not in violation]


def test_the_home_chart_and_the_api_docs_render_under_the_policy(network, make_page, live_server):
    watch = make_page()
    watch.page.add_init_script(VIOLATIONS)
    response = watch.page.goto(f"{live_server.url}/login/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    log_in(watch, live_server.url, "headoffice", PASSWORD)
    assert visit(watch, f"{live_server.url}/", "#sales-chart .main-svg") == []
    assert visit(watch, f"{live_server.url}/api/docs/", ".swagger-ui .opblock") == []
    assert visit(watch, f"{live_server.url}/api/redoc/", "redoc [role=menuitem], .menu-content") == []
    assert [error for error in watch.errors if OUTSIDE not in error] == []
    # Chromium announces the logo's request before the policy refuses it (the violation above).
    assert [url for url in watch.outside_requests if not url.startswith(OUTSIDE)] == []
