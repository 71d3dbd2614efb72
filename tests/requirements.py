"""Skip-or-fail for tests that need something outside Python: under CI=true a missing
service or browser is a failure, on a developer's machine a skip that names what is missing."""

import os

import pytest


def require(available: bool, what: str) -> None:
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required under CI=true", pytrace=False)
    pytest.skip(f"{what} not available: skipped (CI=true makes this a failure)")
