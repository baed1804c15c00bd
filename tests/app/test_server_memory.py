"""Once a page is drawn, the server's long-lived objects are left out of collection."""

from __future__ import annotations

import gc

from app_harness import APP, RUN_TIMEOUT_S, assert_clean
from streamlit.testing.v1 import AppTest

from app_parts import server_memory


def test_a_drawn_page_freezes_what_lives_on_and_collection_walks_the_rest():
    gc.unfreeze()
    server_memory._freeze_with.clear()
    assert gc.get_freeze_count() == 0
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S).run()
    assert_clean(at)
    frozen = gc.get_freeze_count()
    # Modules, caches and templates: by far the most of what the process holds.
    assert frozen > 2 * len(gc.get_objects())


def test_freezing_again_needs_newly_imported_modules():
    server_memory.freeze_long_lived_objects()
    gc.unfreeze()
    server_memory.freeze_long_lived_objects()
    assert gc.get_freeze_count() == 0
    server_memory._freeze_with.clear()
    server_memory.freeze_long_lived_objects()
    assert gc.get_freeze_count() > 0
