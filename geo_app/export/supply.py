"""The land-supply figures printed on exports, taken from the ledger and nothing else.

Numbers are rounded to two decimals only here, when printed, the same way as
``geo-app totals`` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geo_app.i18n import load_strings
from geo_app.parcel_labels import status_name


def format_hectares(value: float) -> str:
    return f"{value:,.2f}"


def format_target(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class SupplySummary:
    total_ha: float
    target_ha: float
    gap_ha: float
    by_status: tuple[tuple[str, float], ...]
    sample_data: bool

    @property
    def share_of_target(self) -> float:
        return self.total_ha / self.target_ha if self.target_ha > 0 else 1.0

    def lines(self, lang: str) -> list[str]:
        """Heading, total against target, gap, then one line per status."""
        strings = load_strings()
        lines = [
            strings.get("export.supply.heading", lang),
            strings.get(
                "export.supply.total",
                lang,
                total=format_hectares(self.total_ha),
                target=format_target(self.target_ha),
            ),
            strings.get("export.supply.gap", lang, gap=format_hectares(self.gap_ha))
            if self.gap_ha > 0
            else strings.get("export.supply.met", lang),
        ]
        for status, hectares in self.by_status:
            lines.append(
                strings.get(
                    "export.supply.status_line",
                    lang,
                    status=status_name(status, lang),
                    hectares=format_hectares(hectares),
                )
            )
        return lines


def summary_from_ledger(ledger: Any) -> SupplySummary:
    return SupplySummary(
        total_ha=float(ledger.total_ha),
        target_ha=float(ledger.target_ha),
        gap_ha=float(ledger.gap_ha),
        by_status=tuple((str(k), float(v)) for k, v in ledger.by_status.items()),
        sample_data=bool(ledger.to_dict().get("sample_data", False)),
    )
