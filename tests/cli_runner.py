"""Running ``geo-app`` in the test's own process, as the command-line tests do.

``run`` gives the exit code and what was printed. ``no_configured_workspace`` keeps a test
away from any configured or per-user workspace; a module imports it to make it apply to
every test there (it is autouse).
"""

from __future__ import annotations

import io

import pytest

from geo_app.cli import main
from geo_app.workspace import DATA_ENV


@pytest.fixture(autouse=True)
def no_configured_workspace(monkeypatch, tmp_path):
    monkeypatch.delenv(DATA_ENV, raising=False)
    # Never the real per-user folder, whatever a test forgets to pass.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(map(str, argv)), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()
