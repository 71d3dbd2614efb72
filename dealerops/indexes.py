"""Indexes the list machinery relies on: ordered reads for sorting (``dealerops.pagination``) and
trigram indexes for search (``dealerops.filters.SearchFilter``)."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models import Index
from django.db.models.functions import Upper


def search_index(table: str, field: str) -> GinIndex:
    """A trigram index on ``UPPER(field)``: what Django's ``icontains`` and ``istartswith``
    compare on PostgreSQL, so contains-search by a fragment reads the index, not the table."""
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=f"{table}_{field}_trgm"[:30])


def sort_indexes(owner: str, *fields: str) -> list[Index]:
    """For each column a list sorts by: the index the network's and a region's list read in
    that order, and the one a dealer's list reads (its dealer first). Both end with the
    primary key, the tie-break of every sort, so rows that tie (a day's sales, the NULLs of a
    date not yet known) come out of the index in page order, not sorted afresh."""
    return [index for field in fields for index in (Index(fields=[field, "id"]), Index(fields=[owner, field, "id"]))]
