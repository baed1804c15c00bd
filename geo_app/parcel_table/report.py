"""What was made of a planner's table, said in words: the columns recognised, the values
that could not be placed, the parcels whose declared area is off.

Problems are warnings: a parcel whose status, town, date or use cannot be placed still
counts, as unknown in that breakdown, and the planner is told how to place it.
"""

from __future__ import annotations

from collections import Counter

from geo_app.i18n import LANGS, t
from geo_app.parcel_table.mapping import ColumnMapping
from geo_app.parcel_table.understand import Understanding
from geo_app.parcel_table.words import FIELDS
from geo_app.problems import Lang, Problem, Words, warning

# Fields whose absence changes a breakdown (the others only change labels).
_COUNTED_FIELDS = ("status", "town", "use")
# Words listed in a message before "…".
SHOWN_WORDS = 5


def field_words(name: str) -> Words:
    return Words(*(t(f"parcel_table.field.{name}", lang) for lang in LANGS))


def _listed(counts: Counter[str], lang: Lang) -> str:
    shown = [
        t("parcel_table.word_count", lang, word=word, count=count)
        for word, count in counts.most_common(SHOWN_WORDS)
    ]
    more = len(counts) - SHOWN_WORDS
    if more > 0:
        shown.append(t("parcel_table.more_words", lang, count=more))
    return t("problem_words.list_separator", lang).join(shown)


def _listed_words(counts: Counter[str]) -> Words:
    return Words(_listed(counts, "zh"), _listed(counts, "en"))


def understanding_problems(found: Understanding) -> list[Problem]:
    """Warnings about what the table does not say, or says in words not understood."""
    problems: list[Problem] = []
    mapping = found.mapping
    for name in _COUNTED_FIELDS:
        if mapping.column(name) is None and not (name == "town" and found.towns_derived):
            problems.append(
                warning(
                    "field_not_found.column", field=field_words(name), key=name, count=found.rows
                )
            )
    if mapping.column("date") is None and mapping.column("quarter") is None:
        problems.append(warning("field_not_found.when", count=found.rows))
    if found.numbered_ids:
        problems.append(warning("ids_assigned", count=found.numbered_ids, stem=found.stem))
    # Words a column holds that could not be placed: each kind said once, with its words.
    for name, words, column in (
        ("status_not_understood", found.unknown_statuses, mapping.column("status")),
        ("town_not_understood", found.unknown_towns, mapping.column("town")),
        ("date_not_understood", found.unreadable_dates, mapping.column("date")),
    ):
        if words:
            problems.append(warning(name, count=sum(words.values()),
                                    words=_listed_words(words), column=column))
    if found.unplaced_uses:
        problems.append(warning("use_not_placed", count=sum(found.unplaced_uses.values()),
                                words=_listed_words(found.unplaced_uses)))
    if found.towns_derived:
        problems.append(warning("towns_from_location", count=found.towns_derived))
    if mapping.column("declared_area") is not None and found.area_unit is None:
        problems.append(warning("area_unit_unknown", column=mapping.column("declared_area")))
    for flagged in found.flagged:
        problems.append(
            warning(
                "area_mismatch",
                feature=flagged.parcel,
                declared=f"{flagged.declared_ha:,.4f}",
                ellipsoidal=f"{flagged.ellipsoidal_ha:,.4f}",
                plane=f"{flagged.plane_ha:,.4f}",
                difference=f"{flagged.difference:+.1%}",
            )
        )
    return problems


def mapping_lines(mapping: ColumnMapping, lang: Lang) -> list[str]:
    """One line per field: which column holds it and how that was decided."""
    lines = []
    for name in FIELDS:
        column = mapping.column(name)
        label = t(f"parcel_table.field.{name}", lang)
        if column is None:
            lines.append(t("parcel_table.mapping.none", lang, field=label))
            continue
        basis = mapping.basis.get(name, "planner")
        lines.append(
            t(
                "parcel_table.mapping.line",
                lang,
                field=label,
                column=column,
                basis=t(f"parcel_table.basis.{basis}", lang),
            )
        )
    return lines


def unit_line(found: Understanding, lang: Lang) -> str | None:
    """How the declared areas were read and compared, or None without declared areas."""
    if found.area_unit is None:
        return None
    return t(
        "parcel_table.area_summary",
        lang,
        unit=t(f"parcel_table.unit.{found.area_unit}", lang),
        basis=t(f"parcel_table.unit_basis.{found.area_unit_basis}", lang),
        compared=found.areas_compared,
        flagged=len(found.flagged),
    )
