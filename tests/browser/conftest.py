"""A real server and the system Chromium for the browser tests.

Every request to a host other than this machine is aborted and recorded, so the tests also
prove the page works with no network at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_server import (
    PROJECT_ROOT,
    ExternalRequestBlocker,
    StreamlitServer,
    launch_chromium,
    write_hostile_layers,
)

from geo_app.workspace import DATA_ENV

APP = PROJECT_ROOT / "streamlit_app.py"
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _server_env(workspace: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a server whose parcels live in ``workspace`` (never
    in the user's data folder)."""
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    return {**env, DATA_ENV: str(workspace), **extra}


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    """The page on the shipped layers, for tests that change no parcel."""
    workspace = tmp_path_factory.mktemp("workspace")
    with StreamlitServer(APP, env=_server_env(workspace)) as server:
        server.workspace = workspace
        yield server


@pytest.fixture
def editing_server(tmp_path) -> Iterator[StreamlitServer]:
    """A server of the test's own, on a fresh workspace the test may change."""
    workspace = tmp_path / "workspace"
    with StreamlitServer(APP, env=_server_env(workspace)) as server:
        server.workspace = workspace
        yield server


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    catalog = write_hostile_layers(tmp_path_factory.mktemp("hostile"), "layout")
    workspace = tmp_path_factory.mktemp("hostile-workspace")
    with StreamlitServer(APP, env=_server_env(workspace, GEO_APP_CATALOG=str(catalog))) as server:
        yield server


class OfflinePage:
    """A fresh browser page whose outside requests are blocked and counted."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        self.blocker = ExternalRequestBlocker()
        self.blocker.install(self.context)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dismiss)

    def _dismiss(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def offline(browser) -> Iterator[OfflinePage]:
    page = OfflinePage(browser)
    yield page
    page.close()
