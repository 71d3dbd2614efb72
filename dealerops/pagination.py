"""Pages of a list whose cost does not grow with the list.

A list counts its rows exactly only up to ``EXACT_COUNT_LIMIT`` (reading at most that many keys
and no more); beyond it the page says "more than 10,000" beside the planner's estimate, and a
list the planner expects to be far longer is not counted: the page gives the estimate as one. Such a
large list is walked by keyset ("the rows after this sort key"), never by a deep ``OFFSET``,
so its last page costs what its first does. Small lists keep numbered pages.

Keyset needs an ordering on columns of the row itself (an index can serve those; see
``tests/dealerops/test_sort_indexes.py``), ended by the primary key so that ties keep one
order. Only the first sort column may hold NULLs: PostgreSQL sorts them last ascending and
first descending, which is what a plain index returns in either direction.
"""

import base64
import binascii
import copy
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.db import connections
from django.db.models import Field, Model, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings

EXACT_COUNT_LIMIT = 10_000
# A list the planner expects to be this long is not counted at all: counting even to the
# limit may read much of a table when one row in fifty matches (a broad search).
COUNT_ESTIMATE_LIMIT = 2 * EXACT_COUNT_LIMIT
SHORT_LIST = 1_000
CURSOR_PARAMS = ("page", "after", "before", "last")


@dataclass(frozen=True)
class SortKey:
    field: Field
    descending: bool

    @property
    def name(self) -> str:
        return self.field.attname

    def order(self, reverse: bool = False) -> str:
        return f"-{self.name}" if self.descending != reverse else self.name

    def value(self, row: Model) -> Any:
        return getattr(row, self.name)


def with_estimate(rows: QuerySet, estimate: int) -> QuerySet:
    """``rows`` carrying a better estimate of their number than the planner's own (kept through
    further filters, which can only lower it: ``estimated_count`` takes the smaller)."""
    rows = rows.all()
    rows.query.row_estimate = estimate  # a Query's clones copy its attributes
    return rows


def estimated_count(rows: QuerySet) -> int:
    """The planner's estimate of the number of ``rows`` (EXPLAIN, nothing is read), or the one
    ``with_estimate`` gave if that is smaller."""
    try:
        plan = query_plan(rows.order_by())
    except EmptyResultSet:  # a condition no row can meet (``pk__in=[]``)
        return 0
    return min(int(plan["Plan Rows"]), getattr(rows.query, "row_estimate", math.inf))


def query_plan(rows: QuerySet) -> dict[str, Any]:
    """The planner's plan for ``rows`` (EXPLAIN, nothing is read): its top node."""
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def sort_keys(rows: QuerySet) -> list[SortKey] | None:
    """The queryset's ordering as columns of its own table, ended by the primary key; None
    when it sorts through a join or by an expression (such a list keeps numbered pages)."""
    model = rows.model
    query = rows.query
    ordering = list(query.order_by) or (list(model._meta.ordering) if query.default_ordering else [])
    keys: list[SortKey] = []
    for item in ordering:
        if not isinstance(item, str) or item == "?":
            return None
        name = item.lstrip("-")
        if "__" in name:
            return None
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if field.is_relation and not field.many_to_one:
            return None
        keys.append(SortKey(field, item.startswith("-")))
        if field.primary_key or (field.unique and not field.null):
            break  # a key already: nothing after it can tie
    else:
        keys.append(SortKey(model._meta.pk, keys[0].descending if keys else False))
    if any(key.field.null for key in keys[1:]):
        return None
    return keys


def _encode(values: Sequence[Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    text = json.dumps([plain(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(token: str, keys: Sequence[SortKey]) -> list[Any] | None:
    """The sort values a cursor names, or None for a cursor that is not one of ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    try:
        return [None if value is None else key.field.to_python(value) for key, value in zip(keys, values, strict=True)]
    except (ValidationError, TypeError, ValueError):
        return None


def rows_after(keys: Sequence[SortKey], values: Sequence[Any], reverse: bool = False) -> Q:
    """Rows after ``values`` in the order of ``keys`` (none of them NULL): the first key's
    bound (which an index range serves) and the lexicographic rest."""

    def beyond(key: SortKey, strict: bool) -> str:
        later = "lt" if key.descending != reverse else "gt"
        return later if strict else f"{later}e"

    first, first_value = keys[0], values[0]
    condition = Q(**{f"{first.name}__{beyond(first, False)}": first_value})
    rest = Q()
    for index, key in enumerate(keys):
        step = Q(**{f"{key.name}__{beyond(key, True)}": values[index]})
        for earlier, value in zip(keys[:index], values[:index], strict=True):
            step &= Q(**{earlier.name: value})
        rest |= step
    return condition & rest


class Listing:
    """One page of a list: its rows, how many there are (exactly, or more than the limit and
    about how many) and the links to the pages around it."""

    def __init__(self, rows: QuerySet, query: QueryDict, page_size: int) -> None:
        self.limit = EXACT_COUNT_LIMIT
        self.page_size = page_size
        self.query = query.copy()
        for name in CURSOR_PARAMS:
            self.query.pop(name, None)
        estimate = estimated_count(rows)
        self.counted = estimate <= COUNT_ESTIMATE_LIMIT
        self.count = None
        if self.counted:
            # The keys, up to the limit, say how many there are (one read, no second to count).
            pks = list(rows.order_by().values_list("pk", flat=True)[: self.limit + 1])
            self.count = len(pks) if len(pks) <= self.limit else None
            if self.count is not None and self.count <= SHORT_LIST:
                # For a page of a few matches the planner may walk the sort's index through the
                # whole table, hoping to meet them early: read them by key instead.
                rows = rows.filter(pk__any=pks)
        self.count_is_exact = self.count is not None
        self.estimate = None if self.count_is_exact else max(estimate, self.limit + 1) if self.counted else estimate
        self.keys = None if self.count_is_exact else sort_keys(rows)
        self.page = None  # a numbered page (django.core.paginator.Page) of a small list
        self.links: dict[str, str] = {}
        if self.keys is None:
            self._numbered(rows, query.get("page"))
        else:
            self._keyset(rows, query)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.links)

    def _url(self, **cursor: str) -> str:
        query = self.query.copy()
        query.update(cursor)
        return "?" + query.urlencode()

    def _numbered(self, rows: QuerySet, number: str | None) -> None:
        # An unsortable list beyond the limit shows its first pages only: the filters narrow it.
        paginator = Paginator(rows, self.page_size)
        paginator.count = self.count if self.count_is_exact else self.limit
        try:
            self.page = paginator.page(number or 1)
        except InvalidPage:
            self.page = paginator.page(paginator.num_pages if str(number).isdigit() else 1)
        if self.count_is_exact and self.count <= self.page_size:
            self.rows = list(rows)  # the whole list on one page: no other rows to leave unjoined
        else:
            self.rows = _page_rows(rows, (self.page.number - 1) * self.page_size, self.page_size)
        self.page.object_list = self.rows
        if self.page.has_previous():
            self.links["first"] = self._url(page="1")
            self.links["prev"] = self._url(page=str(self.page.previous_page_number()))
        if self.page.has_next():
            self.links["next"] = self._url(page=str(self.page.next_page_number()))
            self.links["last"] = self._url(page=str(paginator.num_pages))

    def _keyset(self, rows: QuerySet, query: QueryDict) -> None:
        keys = self.keys
        after = _decode(query.get("after", ""), keys)
        before = _decode(query.get("before", ""), keys) if after is None else None
        if after is not None:
            found = self._fetch(rows, after, reverse=False)
            self.rows = found[: self.page_size]
            more_before, more_after = True, len(found) > self.page_size
        elif before is not None:
            found = self._fetch(rows, before, reverse=True)
            self.rows = found[: self.page_size][::-1]
            more_before, more_after = len(found) > self.page_size, True
        elif query.get("last"):
            found = self._fetch(rows, None, reverse=True)
            self.rows = found[: self.page_size][::-1]
            more_before, more_after = len(found) > self.page_size, False
        else:
            found = self._fetch(rows, None, reverse=False)
            self.rows = found[: self.page_size]
            more_before, more_after = False, len(found) > self.page_size
            if not more_after:  # the estimate was far off: the whole list is on this page
                self.count, self.count_is_exact, self.estimate = len(self.rows), True, None
        if not self.rows:
            return
        if more_before:
            self.links["first"] = self._url()
            self.links["prev"] = self._url(before=_encode([key.value(self.rows[0]) for key in keys]))
        if more_after:
            self.links["next"] = self._url(after=_encode([key.value(self.rows[-1]) for key in keys]))
            self.links["last"] = self._url(last="1")

    def _fetch(self, rows: QuerySet, cursor: Sequence[Any] | None, *, reverse: bool) -> list[Model]:
        """Up to page size + 1 rows after ``cursor`` (from the start without one), in the
        keys' order or its reverse. A nullable first key splits the rows into its NULL and
        its non-NULL section, read one after the other, each through the index's range."""
        keys, wanted = self.keys, self.page_size + 1
        ordered = rows.order_by(*(key.order(reverse) for key in keys))
        first = keys[0]
        if not first.field.null:
            window = ordered if cursor is None else ordered.filter(rows_after(keys, cursor, reverse))
            return list(window[:wanted])
        # NULLs come last in ascending order, first in descending (PostgreSQL's default).
        nulls_last = first.descending == reverse
        sections = ["values", "nulls"] if nulls_last else ["nulls", "values"]
        if cursor is not None:
            sections = sections[sections.index("nulls" if cursor[0] is None else "values") :]
        found: list[Model] = []
        for section in sections:
            if section == "nulls":
                window = ordered.filter(**{f"{first.name}__isnull": True})
                if cursor is not None and cursor[0] is None:
                    window = window.filter(rows_after(keys[1:], cursor[1:], reverse))
            else:
                window = ordered.filter(**{f"{first.name}__isnull": False})
                if cursor is not None and cursor[0] is not None:
                    window = window.filter(rows_after(keys, cursor, reverse))
            found += window[: wanted - len(found)]
            if len(found) >= wanted:
                break
            cursor = None  # the next section is read from its start
        return found


def _page_rows(rows: QuerySet, start: int, size: int) -> list[Model]:
    """``size`` rows of ``rows`` from ``start``: the page's keys first, sorted and cut on what
    the filters and the sort read, then only those rows joined to what the page shows
    (``select_related``). Joining first would join every matching row before sorting them."""
    keys = list(rows.values_list("pk", flat=True)[start : start + size])
    if not keys:
        return []
    if rows.query.annotations or rows.query.extra:
        by_key = rows.filter(pk__in=keys)  # what the page shows needs the list's own query
    else:
        # Read by key alone: the list's filters chose these rows, and repeated beside the keys
        # they would only mislead the planner (it multiplies their selectivities).
        by_key = rows.model._default_manager.filter(pk__in=keys)
        by_key.query.select_related = copy.deepcopy(rows.query.select_related)
        by_key.query.deferred_loading = rows.query.deferred_loading
        by_key = by_key.prefetch_related(*rows._prefetch_related_lookups)
    found = {row.pk: row for row in by_key.order_by()}
    return [found[key] for key in keys]


class ListingPagination(BasePagination):
    """The API's pages, through the same ``Listing`` as the pages: ``count`` is exact up to the
    limit and null beyond it (``estimated_count`` then says about how many), numbered ``page``
    links for short lists and keyset cursors (``after`` / ``before``) for long ones."""

    page_size = api_settings.PAGE_SIZE

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list[Model]:
        page = request.query_params.get("page")
        self.request = request
        self.listing = Listing(queryset, request.query_params, self.page_size)
        if self.listing.page is None and page not in (None, "", "1"):
            raise NotFound(
                _("This list is longer than %(limit)s records, so it is paged by cursor: follow the next link.")
                % {"limit": f"{EXACT_COUNT_LIMIT:,}"}
            )
        return self.listing.rows

    def _link(self, name: str) -> str | None:
        link = self.listing.links.get(name)
        return self.request.build_absolute_uri(self.request.path + link) if link else None

    def get_paginated_response(self, data) -> Response:
        listing = self.listing
        return Response(
            {
                "count": listing.count,
                "estimated_count": listing.estimate,
                "next": self._link("next"),
                "previous": self._link("prev"),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        count = {"type": "integer", "nullable": True}
        return {
            "type": "object",
            "required": ["count", "estimated_count", "next", "previous", "results"],
            "properties": {
                "count": {**count, "description": f"Exact up to {EXACT_COUNT_LIMIT:,} rows, null beyond."},
                "estimated_count": {**count, "description": "The database's estimate when count is null."},
                "next": link,
                "previous": link,
                "results": schema,
            },
        }
