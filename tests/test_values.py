import numpy as np
import pandas as pd
import pytest

from geo_app.values import is_blank, is_missing


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, pd.NA])
def test_every_pandas_marker_of_no_value_is_missing(value):
    assert is_missing(value) and is_blank(value)


@pytest.mark.parametrize("value", [0, 0.0, "", " ", False, "planned"])
def test_real_values_are_not_missing(value):
    assert not is_missing(value)


def test_blank_text_is_blank_but_zero_is_not():
    assert is_blank("") and is_blank(" \t")
    assert not is_blank("0") and not is_blank(0) and not is_blank(False)
