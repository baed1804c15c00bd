"""Fixtures for the page run headless: its own workspace, and the page after its first run."""

from __future__ import annotations

import pytest
from app_harness import assert_clean, new_app
from streamlit.testing.v1 import AppTest

from geo_app.workspace import DATA_ENV


@pytest.fixture(autouse=True)
def own_workspace(monkeypatch, tmp_path):
    """Every test's page keeps its parcels in a fresh workspace of its own, never in the
    user's data folder; a test may point GEO_APP_DATA elsewhere."""
    folder = tmp_path / "workspace"
    monkeypatch.setenv(DATA_ENV, str(folder))
    return folder


@pytest.fixture
def app(monkeypatch) -> AppTest:
    """The page after its first run, on the shipped data."""
    monkeypatch.delenv("GEO_APP_CATALOG", raising=False)
    at = new_app().run()
    assert_clean(at)
    return at
