"""Which coordinate system the numbers are in: from the file, from the user, or guessed.

A guess is only made from unmistakable magnitudes (lon/lat degrees, CGCS2000 GK zone 42
with or without its prefix) and is always said out loud as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from geo_app.crs import GK42, GK126, WGS84, CoordinateSystem
from geo_app.problems import InputError, Problem, Words, error, warning, words
from geo_app.reading.base import CrsOrigin, RawLayer, file_error


@dataclass(frozen=True)
class CrsGuess:
    """What the numbers look like when the file does not say."""

    kind: Literal["lonlat", "gk42", "gk126", "swapped_lonlat", "swapped_gk", "unknown"]

    @property
    def crs(self) -> CoordinateSystem | None:
        return {"lonlat": WGS84, "gk42": GK42, "gk126": GK126}.get(self.kind)


def _within(values: NDArray, low: float, high: float) -> bool:
    return bool(((values >= low) & (values <= high)).all())


def guess_crs(x: NDArray, y: NDArray) -> CrsGuess:
    """Guess the system of coordinates from their magnitudes (x/y order as stored)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    lonlat = (np.abs(x) <= 180) & (np.abs(y) <= 90)
    if lonlat.size == 0 or lonlat.mean() >= 0.5:
        return CrsGuess("lonlat")
    if _within(np.abs(x), 0, 90) and _within(np.abs(y), 0, 180):
        return CrsGuess("swapped_lonlat")
    # CGCS2000 3-degree zone 42 with the zone number in front of the easting.
    if _within(x, 42e6, 43e6) and _within(y, 0, 1e7):
        return CrsGuess("gk42")
    if _within(y, 42e6, 43e6) and _within(x, 0, 1e7):
        return CrsGuess("swapped_gk")
    # The same zone without the prefix; northings of roughly 40-48 degrees north.
    if _within(x, 3e5, 7e5) and _within(y, 4.4e6, 5.3e6):
        return CrsGuess("gk126")
    if _within(y, 3e5, 7e5) and _within(x, 4.4e6, 5.3e6):
        return CrsGuess("swapped_gk")
    return CrsGuess("unknown")


def _number(value: float) -> str:
    return f"{value:.3f}" if abs(value) >= 1000 else f"{value:.6f}".rstrip("0").rstrip(".")


def _example(x: NDArray, y: NDArray) -> str:
    return f"({_number(x[0])}, {_number(y[0])})"


def _guess_failure(guess: CrsGuess, x: NDArray, y: NDArray) -> InputError:
    sample = _example(x, y)
    if guess.kind == "swapped_lonlat":
        return file_error("swapped_lat_lon.file", sample=sample)
    if guess.kind == "swapped_gk":
        return file_error("swapped_northing_easting", sample=sample)
    return file_error("projected_without_crs", sample=sample)


def choose_crs(
    raw: RawLayer, override: CoordinateSystem | None, x: NDArray, y: NDArray
) -> tuple[CoordinateSystem, CrsOrigin, list[Problem]]:
    if override is not None:
        _check_numbers_fit(override, x, y, "option")
        declared = raw.declared_crs
        if declared is None or (declared.epsg, declared.is_gcj02) == (
            override.epsg,
            override.is_gcj02,
        ):
            return override, "option", []
        return (
            override,
            "option",
            [
                warning("crs_overridden", declared=declared.key, given=override.key)
            ],
        )
    if raw.declared_crs is not None:
        _check_numbers_fit(raw.declared_crs, x, y, "file")
        return raw.declared_crs, "file", []
    guess = guess_crs(x, y)
    if guess.kind == "lonlat":
        if raw.lonlat_by_default:
            return WGS84, "default", []
        return (
            WGS84,
            "assumed",
            [warning("crs_assumed.lonlat")],
        )
    if guess.crs is not None:
        cs = guess.crs
        return (
            cs,
            "assumed",
            [
                warning(
                    "crs_assumed.projected", crs=cs.key, label=Words(cs.label_zh, cs.label_en)
                )
            ],
        )
    raise _guess_failure(guess, x, y)


def _check_numbers_fit(cs: CoordinateSystem, x: NDArray, y: NDArray, origin: str) -> None:
    """Catch a coordinate system that cannot be the one the numbers are in."""
    if x.size == 0:
        return
    said = words(f"crs_origin.{origin}")
    guess = guess_crs(x, y)
    if cs.is_geographic and guess.kind != "lonlat":
        if guess.kind in ("swapped_lonlat", "swapped_gk"):
            raise _guess_failure(guess, x, y)
        problem = error(
            "crs_mismatch.not_degrees", sample=_example(x, y), origin=said, crs=cs.key
        )
        if guess.crs is not None:
            problem = problem.noted("try_crs", crs=guess.crs.key)
        raise InputError(problem)
    if not cs.is_geographic and _within(np.abs(x), 0, 180) and _within(np.abs(y), 0, 90):
        raise file_error("crs_mismatch.degrees", sample=_example(x, y), origin=said, crs=cs.key)
