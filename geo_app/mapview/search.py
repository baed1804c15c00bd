"""Finding features by name or id across every layer, and where they are."""

from __future__ import annotations

from dataclasses import dataclass

from geo_app.catalog import Catalog, load_catalog
from geo_app.i18n import check_lang
from geo_app.mapview.features import layer_features
from geo_app.mapview.options import Bounds
from geo_app.mapview.popups import feature_name


@dataclass(frozen=True)
class FeatureMatch:
    id: str
    layer: str
    layer_name: str
    name: str
    bounds: Bounds


def _all_features(catalog: Catalog):
    for spec in catalog.layers:
        for feature in layer_features(spec):
            yield spec, feature


def search_features(
    query: str, lang: str = "zh", catalog: Catalog | None = None, limit: int = 50
) -> list[FeatureMatch]:
    """Features whose Chinese name, English name or id contains ``query`` (any case).

    An exact id or name comes first, then names that start with the query, then the rest,
    each in catalog order. A blank query finds nothing.
    """
    check_lang(lang)
    needle = query.strip().casefold()
    if not needle:
        return []
    catalog = catalog if catalog is not None else load_catalog()
    ranked = []
    for order, (spec, feature) in enumerate(_all_features(catalog)):
        props = feature.properties
        texts = [str(props.get(key) or "").casefold() for key in ("id", "name_zh", "name_en")]
        if not any(needle in text for text in texts):
            continue
        if needle in texts:
            rank = 0
        elif any(text.startswith(needle) for text in texts):
            rank = 1
        else:
            rank = 2
        ranked.append(
            (rank, order, FeatureMatch(feature.id, spec.id, spec.name(lang),
                                       feature_name(props, lang), feature.bounds))
        )
    ranked.sort(key=lambda entry: entry[:2])
    return [match for _, _, match in ranked[:limit]]
