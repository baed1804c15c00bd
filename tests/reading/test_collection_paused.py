import gc

import pytest

from geo_app.reading import collection_paused


def test_the_collector_runs_again_however_the_work_ends():
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collection_paused():
        raise ValueError("a file that could not be read")
    assert gc.isenabled()


def test_a_collector_its_caller_paused_stays_paused():
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
