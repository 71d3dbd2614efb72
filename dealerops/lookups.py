"""``field__any=[...]``: ``field = ANY(%s)`` with the whole list as one array parameter.

``__in`` sends one parameter per value, which for the tens of thousands of keys an import
looks up at once costs more to build, bind and plan than the lookup itself; an array is one
parameter, and PostgreSQL still uses the column's index for it.
"""

from django.db.models import Field, ForeignObject, Lookup


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
