"""Shared by every test folder: the tests' own helpers (such as ``bureau_files``) import
from anywhere under tests/."""

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)
