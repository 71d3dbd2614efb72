"""The health pages' cache of what they compute from the nightly job's scores (the map's
figure, the rating counts, a page of the table).

The scores change only when the job runs, so a page's figures are cached under a key made of
everything that decides what they show, and nothing is ever invalidated by hand:

- who asks: the role and its scope (a regional manager's region ids, read fresh on every
  request; a dealer user's dealer; everything for head office and finance), as in
  ``dealerops.access.scope``, so one user's figures are never served to a user who may see less;
- what is asked: the page and the parameters that change its figures (the filters, ordering,
  page), and the language (the figures' labels are translated);
- the day: without a month asked, a page shows the latest complete month, and whether a
  month's scores are provisional is read against today;
- the data: a stamp of the health months (the job sets a month's ``computed_at`` each time it
  writes its scores, re-rating included, and deletes the months of older weights), of the
  rating bands (the dashboard says when newer bands are in force than those of the month shown)
  and of the dealers (their names, cities, positions and regions are on the pages; every edit
  bumps ``updated_at``).

The stamp is one query, read before the figures so that cached figures are never older than
their key.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.http import QueryDict
from django.utils.translation import get_language

from channels.models import Dealer, HealthMonth, RatingBands
from dealerops.access import role_of
from dealerops.models import Role, User
from dealerops.validation import today

# Raise when the shape of a cached value changes, so a deploy never reads the old shape.
CACHE_VERSION = 3
# The keys change with the data; the timeout only bounds how long an unused entry stays.
CACHE_SECONDS = 24 * 3600

STAMP_SQL = f"""
SELECT
  (SELECT concat_ws(':', count(*), sum(id), max(computed_at), (SELECT max(version) FROM {RatingBands._meta.db_table}))
     FROM {HealthMonth._meta.db_table}),
  (SELECT concat_ws(':', count(*), max(updated_at)) FROM {Dealer._meta.db_table}),
  (SELECT coalesce(string_agg(region_id::text, ',' ORDER BY region_id), '')
     FROM {User.regions.through._meta.db_table} WHERE user_id = %s)
"""  # noqa: S608 - only the models' table names are interpolated; the user is a parameter


@dataclass(frozen=True)
class HealthStamp:
    """The state of the data behind the health pages, and the user's regions (ids, sorted)."""

    months: str
    dealers: str
    region_ids: tuple[int, ...]


def health_stamp(user: User) -> HealthStamp:
    """One query."""
    with connection.cursor() as cursor:
        cursor.execute(STAMP_SQL, [user.pk])
        months, dealers, regions = cursor.fetchone()
    return HealthStamp(months=months, dealers=dealers, region_ids=tuple(int(pk) for pk in regions.split(",") if pk))


def health_cache_key(*, page: str, user: User, query: QueryDict, names: Iterable[str], stamp: HealthStamp) -> str:
    """The cache key of ``page``'s figures for ``user`` asking ``query`` (see the module), of
    which only the parameters ``names`` change the figures (others would only fill the cache)."""
    role = role_of(user)
    if role == Role.REGIONAL_MANAGER:
        who = "regions=" + ",".join(str(pk) for pk in stamp.region_ids)
    elif role == Role.DEALER_USER:
        who = f"dealer={user.dealer_id}"
    else:
        who = "all"
    params = [(name, query.getlist(name)) for name in sorted(set(names)) if name in query]
    parts = [page, str(role), who, get_language() or "", repr(params), str(today()), stamp.months, stamp.dealers]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"health:{CACHE_VERSION}:{page}:{digest}"
