"""The security suite runs against the same local exchange as the end-to-end tests."""

from tests.e2e.conftest import admin, api, base_url, buyer, seller  # noqa: F401
