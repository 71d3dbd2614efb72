"""Transfers of stock units between dealers and the plans that propose them (issue 15)."""
