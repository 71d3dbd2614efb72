"""A fixed-window counter in the cache, for pages anyone may post to without logging in (the
public lead page): each key counts its hits in the current window of ``seconds`` and is
refused past ``limit``. With ``CACHE_URL`` every server process shares the counts; without it
each process counts its own (a looser limit, never a wrong refusal).

The client's address is read the way django-axes reads it for sign-ins
(``AXES_IPWARE_PROXY_COUNT`` behind a proxy), so both limits count the same client."""

import time

from axes.helpers import get_client_ip_address
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    return get_client_ip_address(request) or "unknown"


def hit(key: str, *, limit: int, seconds: int) -> int | None:
    """Count a hit on ``key``; None while within ``limit``, else the seconds until the window ends."""
    now = time.time()
    window = int(now // seconds)
    name = f"ratelimit:{key}:{window}"
    if cache.add(name, 1, timeout=seconds):
        count = 1
    else:
        try:
            count = cache.incr(name)
        except ValueError:  # expired between the two calls: this hit opens the window
            cache.add(name, 1, timeout=seconds)
            count = 1
    return None if count <= limit else max(1, int((window + 1) * seconds - now))
