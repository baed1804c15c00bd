"""The package's layers, as docs/architecture.md draws them: a module imports only from its
own layer or the layers below, the core never imports Streamlit, and every module is placed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import geo_app

PACKAGE = Path(geo_app.__file__).parent
# Bottom to top. A unit is a top-level module or package of geo_app.
LAYERS: tuple[frozenset[str], ...] = (
    # foundations: words, errors, coordinates, areas, safe files
    frozenset({"__init__", "resources", "i18n", "values", "problems", "gcj02", "crs",
               "geodesy", "atomic", "fonts", "compact_json"}),
    # data: reading files, the plan, the layers, the basemap registry, planners' tables
    frozenset({"reading", "validation", "plan", "catalog", "basemaps", "assets",
               "coordinates_input", "parcel_labels", "parcel_table",
               "targets", "progress"}),
    # the land-supply ledger, the planners' workspace and the control-line check
    frozenset({"ledger", "workspace", "importing", "parcel_drawing", "jobs",
               "import_jobs", "control", "accounts"}),
    # what is shown and handed out: the map, the exports
    frozenset({"mapview", "export"}),
    # the edges: the command line (the app's own side lives outside the package)
    frozenset({"cli", "__main__"}),
)


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(unit: str) -> int:
    for number, units in enumerate(LAYERS):
        if unit in units:
            return number
    raise AssertionError(f"geo_app.{unit} is in no layer: place it in tests/test_architecture.py")


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "geo_app":
                found.update(f"geo_app.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found.append((parts[0], path))
    return found


def test_every_module_is_in_a_layer():
    for unit, _ in modules():
        layer_of(unit)


def test_nothing_imports_from_a_layer_above_it():
    upward = []
    for unit, path in modules():
        for module in imports_of(path):
            if not module.startswith("geo_app.") or module == "geo_app":
                continue
            target = unit_of(module)
            if layer_of(target) > layer_of(unit):
                upward.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert upward == []


def test_the_core_never_imports_streamlit():
    offenders = [
        str(path.relative_to(PACKAGE))
        for _, path in modules()
        if any(m == "streamlit" or m.startswith("streamlit.") for m in imports_of(path))
    ]
    assert offenders == []


def test_the_top_level_stays_small():
    top = [p for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= 22, sorted(p.name for p in top)
