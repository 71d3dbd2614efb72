"""The regional channel health dashboard under load, served by a real server on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/generate.py --scale S
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/dashboard.py [--users 10] [--seconds 20]

Scores the last complete month of the data if it has no scores yet (the nightly job's
service), gives a regional manager the region closest to ``--dealers`` in size (400 by
default; at a small scale the largest regions until they hold that many), logs that manager
in, starts gunicorn on 127.0.0.1 and sends ``--users`` concurrent users at ``/health/`` (the
map page) with that session for ``--seconds``, with wrk
(Debian's package) or, without it, a loop of Python threads. Prints the median and the 95th
percentile latency; the RESULT line's ``seconds`` is the median. No floor applies: the page is
the figure. Target (issue 4): a region of 400 dealers under 10 users, median under 300 ms.

The server's processes cache the page's figures until the scores change (channels/health/
cache.py, in each process's memory unless CACHE_URL names a Redis server): the warm-up fills
them, so the load measures the page between two nightly runs. ``uncached_median_seconds`` is
the page computed from the database, as the first request after a run gets it, timed in this
process (Django's test client, no server) with the cache emptied before each request.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import ROOT, last_sale_and_complete_month, print_table, result_line, setup_django, timed

MANAGER = "bench-dashboard-manager"
# wrk prints the latency percentiles this script reads, in microseconds.
WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("PERCENTILES %d %d %d %d\\n", latency:percentile(50), latency:percentile(95),
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL built here
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The server did not answer at {url}")


def fetch(url: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - loopback URL
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read()


def load_with_wrk(url: str, cookie: str, users: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        output = subprocess.run(  # noqa: S603 - fixed arguments
            [
                shutil.which("wrk") or "wrk",
                f"-t{min(users, 2)}",
                f"-c{users}",
                f"-d{seconds}s",
                "--timeout",
                "30s",
                "-H",
                f"Cookie: {cookie}",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("PERCENTILES"))
    median_us, p95_us, requests, errors = (int(part) for part in line.split()[1:])
    return {"tool": "wrk", "median": median_us / 1e6, "p95": p95_us / 1e6, "requests": requests, "errors": errors}


def load_with_threads(url: str, cookie: str, users: int, seconds: int) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def user() -> None:
        nonlocal errors
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status, _body = fetch(url, cookie)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors += status != 200

    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "tool": "python threads",
        "median": statistics.median(latencies),
        "p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        "requests": len(latencies),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dealers", type=int, default=400, help="dealers in the manager's region(s) (default 400)")
    parser.add_argument("--users", type=int, default=10, help="concurrent users (default 10)")
    parser.add_argument("--seconds", type=int, default=20, help="length of the load (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    args = parser.parse_args()
    # The server runs as in production (DEBUG off, static files collected); this process signs
    # the session with the same key.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-dashboard-only-" + "x" * 40)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    setup_django()

    from django.core.management import call_command
    from django.db.models import Count
    from django.test import Client, override_settings

    from channels.health.services import health_month_compute
    from channels.models import HealthScore, Region
    from dealerops.models import Role, User

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    last_sale, month = last_sale_and_complete_month()
    scoring_seconds = None
    if not HealthScore.objects.filter(month=month).exists():
        with timed() as scoring:
            health_month_compute(month=month)
        scoring_seconds = scoring["seconds"]

    # The manager's region: the one closest to ``--dealers`` in size; at a small scale, where
    # no region comes within a quarter of it, the largest regions until they hold that many
    # (a manager may run several).
    by_size = list(Region.objects.annotate(dealer_count=Count("dealers")).order_by("-dealer_count", "code"))
    closest = min(by_size, key=lambda region: abs(region.dealer_count - args.dealers))
    regions = [closest] if abs(closest.dealer_count - args.dealers) <= args.dealers / 4 else []
    for region in by_size if not regions else []:
        if sum(chosen.dealer_count for chosen in regions) >= args.dealers:
            break
        regions.append(region)
    dealers = sum(region.dealer_count for region in regions)
    scored = HealthScore.objects.filter(month=month, dealer__region__in=regions).count()
    manager, _created = User.objects.update_or_create(
        username=MANAGER, defaults={"role": Role.REGIONAL_MANAGER, "dealer": None, "is_active": True}
    )
    manager.regions.set(regions)
    client = Client()
    client.force_login(manager)  # a session in the database, which the server reads
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    # The page as computed after each nightly run (every server process computes it once per
    # manager's view, then serves it from its cache until the scores change): here, in this
    # process, with a cache that keeps nothing.
    uncached = []
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        for _request in range(10):
            with timed() as computing:
                response = client.get("/health/", HTTP_HOST="127.0.0.1")
            if response.status_code != 200 or b"health-map-data" not in response.content:
                raise SystemExit(f"/health/ answered {response.status_code} without the map in this process")
            uncached.append(computing["seconds"])

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dealerops.settings.local"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(gunicorn),
            "dealerops.wsgi",
            f"--workers={args.workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(f"{base}/healthz")
        url = f"{base}/health/"
        status, body = fetch(url, cookie)
        if status != 200 or b"health-map-data" not in body:
            raise SystemExit(f"{url} answered {status} without the map: is the manager logged in?")
        for _warm_up in range(args.workers * 2):
            fetch(url, cookie)
        tool = load_with_wrk if shutil.which("wrk") else load_with_threads
        alone = tool(url, cookie, 1, max(args.seconds // 4, 3))  # the page's own time, no queueing
        load = tool(url, cookie, args.users, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)

    codes = ", ".join(region.code for region in regions)
    print(f"Month {month:%Y-%m}; regions {codes}: {dealers:,} dealers, {scored:,} scored; page {len(body):,} bytes")
    rows = [
        ("load tool", load["tool"]),
        ("concurrent users", args.users),
        ("gunicorn workers", args.workers),
        ("requests", f"{load['requests']:,}"),
        ("errors", load["errors"]),
        ("requests per second", f"{load['requests'] / args.seconds:.1f}"),
        ("one user alone: median latency, ms", f"{alone['median'] * 1000:.0f}"),
        ("page computed (cache empty), in-process median, ms", f"{statistics.median(uncached) * 1000:.0f}"),
        ("median latency, ms", f"{load['median'] * 1000:.0f}"),
        ("95th percentile, ms", f"{load['p95'] * 1000:.0f}"),
    ]
    if scoring_seconds is not None:
        rows.append(("scoring the month first, s", f"{scoring_seconds:.1f}"))
    print_table(rows, ("figure", "value"))
    print(
        result_line(
            "dashboard",
            load["median"],
            p95_seconds=f"{load['p95']:.3f}",
            one_user_median_seconds=f"{alone['median']:.3f}",
            uncached_median_seconds=f"{statistics.median(uncached):.3f}",
            dealers=dealers,
            regions=len(regions),
            users=args.users,
            requests=load["requests"],
            errors=load["errors"],
        )
    )


if __name__ == "__main__":
    main()
