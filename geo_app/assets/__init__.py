"""Leaflet and its plugins without any CDN.

Leaflet and jQuery come from PyPI wheels (xstatic-*); plugins with no wheel come from the
npm registry, pinned with their integrity in ``vendor.toml`` and fetched by
``python -m geo_app.assets.fetch``. ``install_static`` copies them under ``static/vendor/``
for Streamlit to serve; ``asset_urls`` says how a page loads each one.
"""

from geo_app.assets.install import (
    AssetsWarning,
    InstallReport,
    RequiredAssetsMissing,
    install_static,
)
from geo_app.assets.urls import (
    SERVED_PREFIX,
    AssetMode,
    AssetSet,
    UnknownAssetError,
    asset_urls,
    inline_css,
)
from geo_app.assets.vendor import (
    CACHE_DIR,
    Library,
    LibraryUnavailable,
    VendorError,
    load_vendor,
)

__all__ = [
    "CACHE_DIR",
    "SERVED_PREFIX",
    "AssetMode",
    "AssetSet",
    "AssetsWarning",
    "InstallReport",
    "Library",
    "LibraryUnavailable",
    "RequiredAssetsMissing",
    "UnknownAssetError",
    "VendorError",
    "asset_urls",
    "inline_css",
    "install_static",
    "load_vendor",
]
