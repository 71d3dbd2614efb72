"""Lookups the ORM lacks.

``field__any=[...]``: ``field = ANY(%s)`` with the whole list as one array parameter.
``__in`` sends one parameter per value, which for the tens of thousands of keys an import
looks up at once costs more to build, bind and plan than the lookup itself; an array is one
parameter, and PostgreSQL still uses the column's index for it.

``field__unindexed_icontains`` / ``__unindexed_istartswith``: Django's ``icontains`` as
``ILIKE``, which no index on ``UPPER(field)`` serves (``dealerops.indexes.search_index``). A
search within a short list (one dealer's) then checks the list's own rows, rather than
combining them with a trigram match over the whole table: one dealer's 3,200 leads against
the network's 350,000 from 重庆.
"""

from django.db.models import CharField, Field, ForeignObject, Lookup, TextField
from django.db.models.lookups import IContains, IStartsWith


@Field.register_lookup
@ForeignObject.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [[self.lhs.output_field.get_db_prep_value(item, connection) for item in value]]

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        _rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        # Typed like the column: an int4[] against a bigint column is compared row by row.
        return f"{lhs_sql} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", [*lhs_params, *rhs_params]


class _Unindexed:
    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs_sql})::text ILIKE {rhs_sql}", [*lhs_params, *rhs_params]


@CharField.register_lookup
@TextField.register_lookup
class UnindexedIContains(_Unindexed, IContains):
    lookup_name = "unindexed_icontains"


@CharField.register_lookup
@TextField.register_lookup
class UnindexedIStartsWith(_Unindexed, IStartsWith):
    lookup_name = "unindexed_istartswith"
