"""When an attribute value counts as absent.

Tables read through pandas mark a missing value as None, NaN or ``pd.NA`` depending on
the column's type; every module that sums, checks or exports attributes
must treat them alike, so the rule is written once, here.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def is_missing(value: Any) -> bool:
    """None, NaN or ``pd.NA``: no value at all."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def is_blank(value: Any) -> bool:
    """Missing, or text that is empty once spaces are stripped."""
    return is_missing(value) or (isinstance(value, str) and not value.strip())
