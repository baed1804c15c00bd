"""The parcel editor in the system Chromium: an edit on a version someone has changed since
is refused, and loading the current version keeps the parcel chosen, shows the other
person's change and saves both.

The other person renames the parcel. The browser answers a select box with the label of
the option chosen, not its value, so a label that changed without the browser being told
would name no parcel on the next press (the press of the reload button after a refusal)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_app_browser import current_map, feature_path, open_map, settled_count
from test_workspace_browser import choose

from geo_app.i18n import load_strings
from geo_app.workspace import Workspace

pytestmark = pytest.mark.browser

STRINGS = load_strings()
PARCEL = "parcel-sl-02"
TIMEOUT_MS = 30_000


def zh(name: str, **values) -> str:
    return STRINGS.get(name, "zh", **values)


def shown_value(page, label: str):
    """The value the select box ``label`` shows."""
    return page.get_by_role("combobox", name=label)


def open_editor(page) -> None:
    page.get_by_text(zh("app.editor.title")).click()
    user = page.get_by_label(zh("app.editor.user"))
    expect(user).to_be_visible(timeout=TIMEOUT_MS)
    user.fill("王工")
    user.press("Enter")


def pick_label(parcel_id: str, name: str) -> str:
    return f"{name} · {parcel_id}"


def chosen_in_the_editor(page, parcel) -> None:
    open_editor(page)
    choose(page, zh("app.editor.pick"), pick_label(parcel.parcel_id,
                                                  parcel.properties["name_zh"]))


def clicked_on_the_map(page, parcel) -> None:
    # A click selects a feature while the editor is closed; the editor then edits it.
    frame = current_map(page)
    settled_count(page)
    feature_path(frame, parcel.parcel_id).click(force=True)
    expect(page.locator('[data-testid="stText"]').filter(has_text=parcel.parcel_id)
           ).to_be_visible(timeout=TIMEOUT_MS)
    open_editor(page)


def save(page) -> None:
    page.get_by_role("button", name=zh("app.editor.save_edit")).click()


@pytest.mark.parametrize("select", [chosen_in_the_editor, clicked_on_the_map],
                         ids=["editor", "map"])
def test_reloading_a_parcel_changed_meanwhile_keeps_it_and_saves_both_changes(
        offline, editing_server, select):
    page = offline.page
    open_map(offline, editing_server)
    workspace = Workspace.open(editing_server.workspace)
    parcel = workspace.parcel(PARCEL)
    props = parcel.properties
    assert (props["status"], props["quarter"]) != ("supplied", "2022Q4")
    select(page, parcel)
    picked = shown_value(page, zh("app.editor.pick"))
    expect(picked).to_have_value(pick_label(PARCEL, props["name_zh"]), timeout=TIMEOUT_MS)
    expect(shown_value(page, zh("app.column.quarter"))).to_have_value(
        props["quarter"], timeout=TIMEOUT_MS)

    # Someone else renames the parcel and moves it to another quarter meanwhile.
    renamed = "李工更名的地块"
    workspace.update(PARCEL, parcel.version, "李工",
                     properties={**props, "name_zh": renamed, "quarter": "2022Q4"})
    choose(page, zh("app.column.status"), zh("parcel.status.supplied"))
    save(page)
    stale = page.locator('[data-testid="stAlert"]').filter(
        has_text=zh("app.editor.stale", reason=""))
    expect(stale).to_be_visible(timeout=TIMEOUT_MS)
    assert workspace.parcel(PARCEL).properties["status"] == props["status"]

    page.get_by_role("button", name=zh("app.editor.reload")).click()
    expect(stale).to_have_count(0, timeout=TIMEOUT_MS)
    expect(picked).to_have_value(pick_label(PARCEL, renamed), timeout=TIMEOUT_MS)
    # The version now stored, by whom (the time left out).
    version = zh("app.editor.version", version=parcel.version + 1, user="李工", at="\0")
    expect(page.get_by_text(version.split("\0")[0].strip())).to_be_visible(
        timeout=TIMEOUT_MS)
    # The form reloaded replaces the old one once the page's run ends; until then both
    # may be on the page (a busy machine took more than the default 5 s).
    expect(page.get_by_label(zh("app.editor.name_zh"))).to_have_value(
        renamed, timeout=TIMEOUT_MS)
    expect(shown_value(page, zh("app.column.quarter"))).to_have_value(
        "2022Q4", timeout=TIMEOUT_MS)
    expect(shown_value(page, zh("app.column.status"))).to_have_value(
        zh(f"parcel.status.{props['status']}"), timeout=TIMEOUT_MS)

    choose(page, zh("app.column.status"), zh("parcel.status.supplied"))
    save(page)
    expect(page.get_by_text(zh("app.editor.updated", parcel=PARCEL,
                               version=parcel.version + 2))).to_be_visible(timeout=TIMEOUT_MS)
    saved = workspace.parcel(PARCEL)
    assert (saved.properties["status"], saved.properties["quarter"],
            saved.properties["name_zh"]) == ("supplied", "2022Q4", renamed)
    assert saved.updated_by == "王工"
    expect(picked).to_have_value(pick_label(PARCEL, renamed))
    assert offline.blocker.blocked == []
