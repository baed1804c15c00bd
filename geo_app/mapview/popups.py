"""Tooltip and popup HTML, built on the server from escaped text.

Leaflet inserts a tooltip or popup string as HTML. Every value that comes from a layer file
or the plan passes through ``html.escape`` here, and the browser only ever receives the
finished string; no property value is turned into HTML in the page.

A parcel imported from a planner's file also shows the declared area against the measured
one (flagged when they differ) and, after the product's rows, the file's own columns under
their own names, at most :data:`PLANNER_ROWS` of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from html import escape
from typing import Any, NamedTuple

from geo_app.catalog import LayerSpec
from geo_app.i18n import Strings
from geo_app.parcel_table.planner_columns import free_name, planner_columns
from geo_app.parcel_table.understand import AREA_MISMATCH
from geo_app.plan import Plan, PlanItem
from geo_app.values import is_missing

# A popup is a glance, not the attribute table: a file of fifty columns would bury the
# product's rows and weigh on the page, which carries every parcel's popup.
PLANNER_ROWS = 20
# Longer cell texts are cut in the popup (the exports and the table keep them whole).
PLANNER_VALUE_CHARS = 120
# page.css: the row of a declared area that differs from the measured one.
WARN_CLASS = "gm-warn"
MORE_CLASS = "gm-more"


class Row(NamedTuple):
    label: str
    value: str
    warn: bool = False


def localized(properties: Mapping[str, Any], key: str, lang: str) -> str:
    """``key_en`` in English when present, else the Chinese ``key_zh`` (or plain ``key``)."""
    if lang == "en":
        for candidate in (f"{key}_en", key, f"{key}_zh"):
            if properties.get(candidate):
                return str(properties[candidate])
    for candidate in (f"{key}_zh", key, f"{key}_en"):
        if properties.get(candidate):
            return str(properties[candidate])
    return ""


def feature_name(properties: Mapping[str, Any], lang: str) -> str:
    return localized(properties, "name", lang) or str(properties.get("id", ""))


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_target(item: PlanItem, strings: Strings, lang: str) -> str | None:
    """``不少于 200 公顷`` / ``at least 200 ha``; None when the item has no quantity."""
    if item.quantity is None:
        return None
    unit_name = f"units.{item.unit}"
    if lang == "zh" and item.unit_zh:
        unit = item.unit_zh
    elif unit_name in strings:
        unit = strings.get(unit_name, lang)
    else:
        unit = item.unit or ""
    amount = _number(item.quantity)
    text = f"{amount}{unit}" if unit in ("%",) else f"{amount} {unit}".strip()
    if item.comparison:
        return strings.get(f"comparison.{item.comparison}", lang, value=text)
    return text


def _choice(strings: Strings, prefix: str, value: Any, lang: str) -> str:
    name = f"{prefix}.{value}"
    return strings.get(name, lang) if name in strings else str(value)


def _declared_row(properties: Mapping[str, Any], strings: Strings, lang: str) -> Row | None:
    """The declared area, with its difference from the ellipsoidal one when compared."""
    declared = properties.get("declared_ha")
    if is_missing(declared):
        return None
    try:
        value = f"{float(declared):,.2f}"
    except (TypeError, ValueError):
        return None
    label = strings.get("popup.declared_area", lang)
    check, difference = properties.get("area_check"), properties.get("area_diff_pct")
    if is_missing(check) or is_missing(difference):
        return Row(label, strings.get("popup.hectares_value", lang, value=value))
    check_name = f"parcel.area_check.{check}"
    text = strings.get(
        "popup.declared_value", lang, value=value,
        difference=f"{float(difference) / 100:+.1%}",
        check=strings.get(check_name, lang) if check_name in strings else str(check),
    )
    return Row(label, text, warn=check == AREA_MISMATCH)


def _cell_text(value: Any, strings: Strings, lang: str) -> str:
    if isinstance(value, bool):
        return strings.get("export.table.yes" if value else "export.table.no", lang)
    # A column of whole numbers with a blank cell comes back from a table as floats.
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if len(text) > PLANNER_VALUE_CHARS:
        text = text[: PLANNER_VALUE_CHARS - 1] + "…"
    return text


def planner_rows(
    properties: Mapping[str, Any], strings: Strings, lang: str, labels: Collection[str] = ()
) -> tuple[list[Row], int]:
    """The planner's own columns with a value, as rows (at most :data:`PLANNER_ROWS`), and
    how many more there are.

    A column named like one of the product's ``labels`` (供地状态) is labelled
    ``<name>_原值``, as the exported tables head it: two rows of one name and different
    values would not say which is the file's.
    """
    rows = [
        Row(free_name(name, labels.__contains__), _cell_text(properties[name], strings, lang))
        for name in planner_columns(properties)
        if not is_missing(properties[name]) and str(properties[name]).strip()
    ]
    return rows[:PLANNER_ROWS], max(0, len(rows) - PLANNER_ROWS)


def _rows(
    properties: Mapping[str, Any],
    layer: LayerSpec,
    plan: Plan,
    strings: Strings,
    lang: str,
    hectares: float | None,
    is_parcel: bool,
) -> list[Row]:
    label = lambda name: strings.get(f"popup.{name}", lang)  # noqa: E731
    rows = [Row(label("layer"), layer.name(lang))]
    plan_ref = properties.get("plan_ref")
    if plan_ref:
        if plan_ref in plan:
            item = plan.item(plan_ref)
            rows.append(Row(label("plan_item"), item.name(lang)))
            target = format_target(item, strings, lang)
            if target:
                rows.append(Row(label("target"), target))
            rows.append(Row(label("section"), item.section))
        else:
            rows.append(Row(label("plan_item"), str(plan_ref)))
    if is_parcel:
        if hectares is not None:
            rows.append(Row(label("hectares"), strings.get("popup.hectares_value", lang,
                                                           value=f"{hectares:,.2f}")))
        declared = _declared_row(properties, strings, lang)
        if declared is not None:
            rows.append(declared)
        for key, prefix in (("status", "parcel.status"), ("use", "parcel.use")):
            if properties.get(key) is not None:
                value = properties[key]
                text = (properties.get("use_zh") if key == "use" and lang == "zh" else None)
                rows.append(Row(label(key), text or _choice(strings, prefix, value, lang)))
        for key in ("town", "quarter"):
            if properties.get(key) is not None:
                rows.append(Row(label(key), str(properties[key])))
    accuracy = properties.get("accuracy")
    if accuracy:
        rows.append(Row(label("accuracy"), _choice(strings, "accuracy", accuracy, lang)))
    source = localized(properties, "source", lang)
    if source:
        rows.append(Row(label("source"), source))
    note = localized(properties, "note", lang)
    if note:
        rows.append(Row(label("note"), note))
    return rows


def _row_html(row: Row) -> str:
    # Every row starts with a bare <tr>: the page receives popups split at rows and shares
    # the rows parcels have in common (geo_app.mapview.elements.pack_popups).
    cell = f'<td class="{WARN_CLASS}">' if row.warn else "<td>"
    return f"<tr><th>{escape(row.label)}</th>{cell}{escape(row.value)}</td></tr>"


def popup_html(
    properties: Mapping[str, Any],
    layer: LayerSpec,
    plan: Plan,
    strings: Strings,
    lang: str,
    hectares: float | None = None,
    is_parcel: bool = False,
) -> str:
    rows = _rows(properties, layer, plan, strings, lang, hectares, is_parcel)
    more = 0
    if is_parcel:
        own, more = planner_rows(properties, strings, lang, {row.label for row in rows})
        rows.extend(own)
    body = "".join(_row_html(row) for row in rows)
    if more:
        text = escape(strings.get("popup.more_columns", lang, count=more))
        body += f'<tr><td colspan="2" class="{MORE_CLASS}">{text}</td></tr>'
    sample = ""
    if is_parcel and (properties.get("sample") or layer.sample_data):
        sample = f'<div class="gm-sample">{escape(strings.get("popup.sample_data", lang))}</div>'
    title = escape(feature_name(properties, lang))
    return f'<div class="gm-popup"><h4>{title}</h4>{sample}<table>{body}</table></div>'


def tooltip_html(
    properties: Mapping[str, Any],
    layer: LayerSpec,
    strings: Strings,
    lang: str,
    hectares: float | None = None,
    is_parcel: bool = False,
) -> str:
    parts = [layer.name(lang)]
    if is_parcel and hectares is not None:
        parts.append(strings.get("popup.hectares_value", lang, value=f"{hectares:,.2f}"))
        if properties.get("status") is not None:
            parts.append(_choice(strings, "parcel.status", properties["status"], lang))
    accuracy = properties.get("accuracy")
    if accuracy and accuracy != "surveyed":
        parts.append(_choice(strings, "accuracy", accuracy, lang))
    if is_parcel and (properties.get("sample") or layer.sample_data):
        parts.append(strings.get("popup.sample_data", lang))
    detail = " · ".join(escape(part) for part in parts)
    return f"<b>{escape(feature_name(properties, lang))}</b><br>{detail}"
