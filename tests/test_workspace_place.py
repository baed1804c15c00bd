"""Where the workspace lives: a folder named on the command line, else the configured
database, else the configured folder, else the user's own; a worker told without the
database's password."""

from pathlib import Path

import pytest

from geo_app.workspace import (
    DATABASE_ENV,
    Place,
    Workspace,
    configured_place,
    place_from_argument,
)
from geo_app.workspace.location import DATABASE_ARGUMENT

URL = "postgresql://planner:s3cret@db.example/ledger"


def test_a_folder_named_on_the_command_line_comes_first(tmp_path):
    place = configured_place(tmp_path / "ws", {DATABASE_ENV: URL, "GEO_APP_DATA": "/x"})
    assert place == Place(folder=tmp_path / "ws") and not place.is_database


def test_then_the_configured_database():
    place = configured_place(None, {DATABASE_ENV: URL, "GEO_APP_DATA": "/x"})
    assert place.is_database and place.database_url == URL


def test_then_the_configured_folder_then_the_users_own():
    assert configured_place(None, {"GEO_APP_DATA": "/data/ws"}).folder == Path("/data/ws")
    home = configured_place(None, {"XDG_DATA_HOME": "/home/p/.data"})
    assert home.folder == Path("/home/p/.data/shuangyang-geo-app")
    assert configured_place("  ", {DATABASE_ENV: " "}).folder is not None


def test_the_password_is_never_shown_nor_handed_to_a_worker():
    place = configured_place(None, {DATABASE_ENV: URL})
    assert "s3cret" not in place.shown and "s3cret" not in repr(place)
    assert "s3cret" not in place.as_argument()
    assert place.as_argument() == DATABASE_ARGUMENT
    assert place_from_argument(place.as_argument(), {DATABASE_ENV: URL}) == place


def test_a_worker_without_the_database_setting_refuses(tmp_path):
    with pytest.raises(ValueError, match=DATABASE_ENV):
        place_from_argument(DATABASE_ARGUMENT, {})
    folder = Place(folder=tmp_path)
    assert place_from_argument(folder.as_argument(), {}) == folder


def test_a_folder_place_opens_its_geopackage(tmp_path):
    workspace = Workspace.at(Place(folder=tmp_path / "ws"), seed=None)
    assert workspace.path.parent == tmp_path / "ws"
    assert workspace.parcels() == []
