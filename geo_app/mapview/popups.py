"""Tooltip and popup HTML, built on the server from escaped text.

Leaflet inserts a tooltip or popup string as HTML. Every value that comes from a layer file
or the plan passes through ``html.escape`` here, and the browser only ever receives the
finished string; no property value is turned into HTML in the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from geo_app.catalog import LayerSpec
from geo_app.i18n import Strings
from geo_app.plan import Plan, PlanItem


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


def _rows(
    properties: Mapping[str, Any],
    layer: LayerSpec,
    plan: Plan,
    strings: Strings,
    lang: str,
    hectares: float | None,
    is_parcel: bool,
) -> list[tuple[str, str]]:
    label = lambda name: strings.get(f"popup.{name}", lang)  # noqa: E731
    rows = [(label("layer"), layer.name(lang))]
    plan_ref = properties.get("plan_ref")
    if plan_ref:
        if plan_ref in plan:
            item = plan.item(plan_ref)
            rows.append((label("plan_item"), item.name(lang)))
            target = format_target(item, strings, lang)
            if target:
                rows.append((label("target"), target))
            rows.append((label("section"), item.section))
        else:
            rows.append((label("plan_item"), str(plan_ref)))
    if is_parcel:
        if hectares is not None:
            rows.append((label("hectares"), strings.get("popup.hectares_value", lang,
                                                        value=f"{hectares:,.2f}")))
        for key, prefix in (("status", "parcel.status"), ("use", "parcel.use")):
            if properties.get(key) is not None:
                value = properties[key]
                text = (properties.get("use_zh") if key == "use" and lang == "zh" else None)
                rows.append((label(key), text or _choice(strings, prefix, value, lang)))
        for key in ("town", "quarter"):
            if properties.get(key) is not None:
                rows.append((label(key), str(properties[key])))
    accuracy = properties.get("accuracy")
    if accuracy:
        rows.append((label("accuracy"), _choice(strings, "accuracy", accuracy, lang)))
    source = localized(properties, "source", lang)
    if source:
        rows.append((label("source"), source))
    note = localized(properties, "note", lang)
    if note:
        rows.append((label("note"), note))
    return rows


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
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
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
