"""The ``app`` fixture: the page after its first run, on the shipped data."""

from __future__ import annotations

import pytest
from app_harness import assert_clean, new_app
from streamlit.testing.v1 import AppTest


@pytest.fixture
def app(monkeypatch) -> AppTest:
    """The page after its first run, on the shipped data."""
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    at = new_app().run()
    assert_clean(at)
    return at
