"""The land-supply tab's list of imports: each one undone with a button, and the page's
parcels and totals back as they were before it."""

from __future__ import annotations

import importlib
import sys

import shapely
from app_harness import assert_clean, metric, new_app, open_tab

from geo_app.geodesy import hectares
from geo_app.i18n import load_strings
from geo_app.ledger import default_ledger
from geo_app.problems import error as error_problem
from geo_app.resources import PROJECT_ROOT
from geo_app.workspace import NewParcel, Workspace

STRINGS = load_strings()
SQUARE = shapely.box(125.55, 43.60, 125.56, 43.607)


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def _panel():
    """app_parts sits beside streamlit_app.py, outside the installed package."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    return importlib.import_module("app_parts.import_history")


def _page_data():
    _panel()
    return importlib.import_module("app_parts.page_data")


def undo_buttons(at):
    return [b for b in at.button if b.key and b.key.startswith(_panel().UNDO_PREFIX)]


def import_real(folder) -> int:
    workspace = Workspace.open(folder)
    outcome = workspace.import_parcels(
        [NewParcel("real-1", {"status": "supplied", "name_zh": "真实地块一"}, SQUARE)],
        "王工", "地块.geojson",
    )
    return outcome.batch_id


def test_the_undo_button_takes_the_import_back_and_the_totals_return(own_workspace):
    batch = import_real(own_workspace)
    at = new_app().run()
    open_tab(at, "land")
    assert metric(at, zh("app.land.total_all")) == f"{hectares([SQUARE])[0]:,.2f}"
    assert zh("app.import_history.title") in [e.label for e in at.expander]
    assert any("地块.geojson" in t.value and "王工" in t.value for t in at.text)
    [button] = undo_buttons(at)
    assert button.key == f"{_panel().UNDO_PREFIX}{batch}"
    assert button.disabled  # no name yet

    at.text_input(key=_panel().USER).input("李工").run()
    assert_clean(at)
    [button] = undo_buttons(at)
    assert not button.disabled
    button.click().run()
    assert_clean(at)

    # Back to the samples: the totals and the sample warning say so.
    assert metric(at, zh("app.land.total_all")) == f"{default_ledger().total_ha:,.2f}"
    assert zh("app.land.sample") in [w.value for w in at.warning]
    assert any(zh("app.import_history.done", batch=batch, removed=1,
                  removed_ha=f"{hectares([SQUARE])[0]:,.2f}",
                  restored=default_ledger().parcel_count,
                  restored_ha=f"{default_ledger().total_ha:,.2f}") == s.value
               for s in at.success)
    # The import stays listed, marked undone, with no button; the undo is in the history.
    assert undo_buttons(at) == []
    assert any("李工" in c.value for c in at.caption)
    workspace = Workspace.open(own_workspace)
    assert workspace.holds_only_samples()
    assert {e.user for e in workspace.history(limit=3)} == {"李工"}


def test_an_undo_over_a_later_edit_is_refused_on_the_page(own_workspace):
    batch = import_real(own_workspace)
    workspace = Workspace.open(own_workspace)
    workspace.update("real-1", 1, "赵工", properties={"status": "planned"})
    at = new_app().run()
    open_tab(at, "land")
    at.text_input(key=_panel().USER).input("李工").run()
    [button] = undo_buttons(at)
    button.click().run()
    assert not at.exception
    [error] = at.error
    refusal = error_problem("undo_changed_since", batch=batch, count=1, listed="real-1")
    assert error.value == _page_data().escape_markdown(refusal.message("zh"))
    assert metric(at, zh("app.land.total_all")) == f"{hectares([SQUARE])[0]:,.2f}"
    assert workspace.parcel("real-1").version == 2
    assert workspace.imports()[-1]["id"] == batch  # no undo recorded


def test_a_fresh_workspace_lists_no_imports_and_offers_no_undo(own_workspace):
    at = new_app().run()
    open_tab(at, "land")
    assert zh("app.import_history.empty") in [c.value for c in at.caption]
    assert undo_buttons(at) == []
