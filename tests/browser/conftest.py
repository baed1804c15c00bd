"""A real server and the system Chromium for the browser tests.

Every request to a host other than this machine is aborted and recorded, so the tests also
prove the page works with no network at all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from app_server import (
    PROJECT_ROOT,
    ExternalRequestBlocker,
    StreamlitServer,
    launch_chromium,
    write_hostile_layers,
)

APP = PROJECT_ROOT / "streamlit_app.py"
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


def _server_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "GEO_APP_CATALOG"}
    return {**env, **extra}


@pytest.fixture(scope="session")
def app_server() -> Iterator[StreamlitServer]:
    with StreamlitServer(APP, env=_server_env()) as server:
        yield server


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory) -> Iterator[StreamlitServer]:
    catalog = write_hostile_layers(tmp_path_factory.mktemp("hostile"), "layout")
    with StreamlitServer(APP, env=_server_env(GEO_APP_CATALOG=str(catalog))) as server:
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
