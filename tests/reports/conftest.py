"""Fixtures of the report tests: headless Chromium (tests/reports/chromium.py)."""

from tests.reports.chromium import browser  # noqa: F401 (a fixture)
