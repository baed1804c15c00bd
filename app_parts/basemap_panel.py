"""The page's basemap and coordinate controls: basemap choice with its access keys, the
approval number, and "go to coordinate".

Streamlit code only: the decisions are made in geo_app (basemaps, coordinates_input,
publishing). Settings are read from the Streamlit secrets first, then the environment;
the values (a 天地图 key above all) are handed to the core and never shown or logged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import streamlit as st

from geo_app.basemaps import DEFAULT_BASEMAP, Basemap, BasemapRegistry
from geo_app.basemaps.lookup import chain
from geo_app.basemaps.publishing import ApprovalNumberError, approval_number
from geo_app.basemaps.settings import BasemapChoice, configured_basemaps, resolve_basemap
from geo_app.coordinates_input import (
    INPUT_SYSTEMS,
    CoordinateInputError,
    format_coordinate,
    read_coordinate_input,
    system_label,
)
from geo_app.i18n import Strings

# Session-state keys. BASEMAP is the page's own key for the chosen basemap.
BASEMAP = "basemap"
COORD_SYSTEM = "coord_system"
GOTO_TEXT = "goto_text"
GOTO_SUBMIT = "goto_submit"
GOTO_CLEAR = "goto_clear"
GOTO_POINT = "goto_point"
GOTO_SWAPPED = "goto_swapped"
GOTO_ERROR = "goto_error"
SECRET_BASEMAPS = "basemaps"


def _secret(name: str) -> Any:
    try:
        return st.secrets.get(name)
    except FileNotFoundError:
        # No secrets file at all (Streamlit's own error subclasses FileNotFoundError).
        return None


settings: Callable[[str], Any] = chain(_secret, os.environ)
"""Where the core looks up keys and the approval number: secrets, then the environment."""


def registry_and_problems() -> tuple[BasemapRegistry, tuple[str, ...]]:
    configured = configured_basemaps(settings, _secret(SECRET_BASEMAPS))
    return configured.registry, configured.problems


def registry() -> BasemapRegistry:
    return registry_and_problems()[0]


def current_choice(basemap_id: str) -> BasemapChoice:
    return resolve_basemap(registry(), basemap_id, settings)


def shown_basemap(basemap_id: str) -> Basemap:
    """The basemap actually drawn for ``basemap_id`` (the offline base when a key is missing)."""
    return current_choice(basemap_id).shown


def display_datum_of(basemap_id: str) -> str:
    """The datum the map's clicks come back in."""
    return shown_basemap(basemap_id).crs_datum


def basemap_sidebar(lang: str, strings: Strings) -> str:
    """The basemap select box and what the choice needs saying; returns the chosen id."""
    choices, problems = registry_and_problems()
    for problem in problems:
        st.sidebar.warning(strings.get("basemap.config_error", lang, reason=problem))
    if st.session_state.get(BASEMAP) not in choices:
        st.session_state[BASEMAP] = (
            DEFAULT_BASEMAP if DEFAULT_BASEMAP in choices else choices.ids()[0]
        )
    chosen = st.sidebar.selectbox(
        strings.get("app.basemap", lang),
        choices.ids(),
        key=BASEMAP,
        format_func=lambda basemap_id: choices.get(basemap_id).name(lang),
    )
    choice = resolve_basemap(choices, chosen, settings)
    message = choice.message(strings, lang)
    if message:
        st.sidebar.warning(message)
    elif choice.shown.requires_network:
        st.sidebar.caption(strings.get("app.basemap_online", lang))
    try:
        approval_number(settings)
    except ApprovalNumberError as exc:
        st.sidebar.warning(str(exc))
    return chosen


def map_options_extra() -> dict[str, Any]:
    """What MapOptions needs from here: the registry, the settings and the typed point."""
    return {
        "basemaps": registry(),
        "settings": settings,
        "marker_lonlat": st.session_state.get(GOTO_POINT),
    }


def _go(on_go: Callable[[], None]) -> None:
    system = st.session_state.get(COORD_SYSTEM, INPUT_SYSTEMS[0])
    try:
        reading = read_coordinate_input(st.session_state.get(GOTO_TEXT, ""), system)
    except CoordinateInputError as exc:
        st.session_state[GOTO_ERROR] = (exc.key, exc.params)
        return
    st.session_state[GOTO_ERROR] = None
    st.session_state[GOTO_POINT] = reading.lonlat
    st.session_state[GOTO_SWAPPED] = reading.swapped
    on_go()


def _clear() -> None:
    st.session_state[GOTO_POINT] = None
    st.session_state[GOTO_SWAPPED] = False
    st.session_state[GOTO_ERROR] = None


def goto_coordinate(lang: str, strings: Strings, on_go: Callable[[], None]) -> None:
    """A coordinate box in the sidebar: the map is centred on the typed point and marks it.

    In the sidebar, not above the map: nothing above the map changes height when it is
    used. ``on_go`` runs after a point is read (the page clears its selection, so the map
    centres on the point rather than on a selected feature).
    """
    if st.session_state.get(COORD_SYSTEM) not in INPUT_SYSTEMS:
        st.session_state[COORD_SYSTEM] = INPUT_SYSTEMS[0]
    point = st.session_state.get(GOTO_POINT)
    title = strings.get("app.goto.title", lang)
    with st.sidebar.expander(title, expanded=point is not None):
        with st.form("goto_form", border=False):
            system = st.selectbox(
                strings.get("app.goto.system", lang), INPUT_SYSTEMS, key=COORD_SYSTEM,
                format_func=lambda value: system_label(value, lang),
            )
            st.text_input(
                strings.get("app.goto.label", lang), key=GOTO_TEXT,
                placeholder=strings.get(f"app.goto.placeholder.{system}", lang),
            )
            st.form_submit_button(
                strings.get("app.goto.button", lang), key=GOTO_SUBMIT, on_click=_go,
                args=(on_go,),
            )
        error = st.session_state.get(GOTO_ERROR)
        if error:
            key, params = error
            st.error(CoordinateInputError(key, **params).message(lang))
        if point is None:
            return
        lon, lat = point
        if st.session_state.get(GOTO_SWAPPED):
            st.info(strings.get("app.goto.swapped", lang))
        st.text(strings.get(
            "app.goto.shown", lang,
            wgs84=format_coordinate(lon, lat, "wgs84"),
            system=system_label(system, lang),
            value=format_coordinate(lon, lat, system),
        ))
        st.button(strings.get("app.goto.clear", lang), key=GOTO_CLEAR, on_click=_clear)
