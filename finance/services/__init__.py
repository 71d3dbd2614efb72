"""Writes of the finance app: loans, commission policies, the ledger posting and its periods."""
