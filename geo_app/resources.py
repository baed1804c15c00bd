"""Where the shipped data lives: ``layers/`` and ``seeds/`` beside the package."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYERS_DIR = PROJECT_ROOT / "layers"
SEEDS_DIR = PROJECT_ROOT / "seeds"
STATIC_DIR = PROJECT_ROOT / "static"
