import base64
import io
import tarfile
import warnings

import pytest

from geo_app.assets import (
    SERVED_PREFIX,
    AssetMode,
    AssetsWarning,
    Library,
    RequiredAssetsMissing,
    UnknownAssetError,
    VendorError,
    asset_urls,
    inline_css,
    install_static,
    load_vendor,
)
from geo_app.assets.fetch import fetch_library, tarball_integrity
from geo_app.assets.vendor import CACHE_DIR

WHEELS_ONLY = tuple(lib for lib in load_vendor() if lib.source == "wheel")


def test_vendor_pins_leaflet_and_the_plugins():
    libraries = {lib.id: lib for lib in load_vendor()}
    assert libraries["leaflet"].source == "wheel" and libraries["leaflet"].version == "1.9.3"
    assert libraries["leaflet-fullscreen"].spec == "leaflet.fullscreen@3.0.0"
    assert libraries["leaflet-measure"].spec == "leaflet-measure@3.1.0"
    assert libraries["leaflet-draw"].spec == "leaflet-draw@1.0.4"
    for lib in libraries.values():
        if lib.source == "npm":
            assert lib.integrity.startswith("sha512-") and lib.optional


def test_install_copies_real_files_and_is_idempotent(tmp_path):
    report = install_static(static_dir=tmp_path, cache_dir=CACHE_DIR)
    assert report.copied > 0
    files = [p for p in (tmp_path / "vendor").rglob("*") if p.is_file() or p.is_symlink()]
    assert files and not any(p.is_symlink() for p in files)
    leaflet_js = tmp_path / "vendor" / "leaflet-1.9.3" / "leaflet.js"
    assert leaflet_js.stat().st_size > 100_000
    assert (tmp_path / "vendor" / "leaflet-1.9.3" / "images" / "layers.png").is_file()
    assert (tmp_path / "vendor" / "leaflet-measure-3.1.0" / "leaflet-measure.cn.js").is_file()
    assert install_static(static_dir=tmp_path, cache_dir=CACHE_DIR).copied == 0


def test_install_replaces_a_symlink_and_a_changed_file(tmp_path):
    install_static(static_dir=tmp_path, cache_dir=CACHE_DIR)
    leaflet_js = tmp_path / "vendor" / "leaflet-1.9.3" / "leaflet.js"
    leaflet_css = tmp_path / "vendor" / "leaflet-1.9.3" / "leaflet.css"
    leaflet_js.unlink()
    leaflet_js.symlink_to(leaflet_css)
    leaflet_css.write_text("tampered", encoding="utf-8")
    assert install_static(static_dir=tmp_path, cache_dir=CACHE_DIR).copied == 2
    assert not leaflet_js.is_symlink()
    assert "leaflet-control" in leaflet_css.read_text(encoding="utf-8")


def test_without_the_npm_cache_plugins_are_left_out_with_a_warning(tmp_path):
    with pytest.warns(AssetsWarning, match="python -m geo_app.assets.fetch"):
        report = install_static(static_dir=tmp_path / "static", cache_dir=tmp_path / "empty")
    assert report.has("leaflet") and report.has("jquery")
    assert not report.has("leaflet-measure")
    assert "leaflet-measure" in report.unavailable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssetsWarning)
        assets = asset_urls("served", tmp_path / "static", tmp_path / "empty")
    assert "leaflet" in assets and "measure_js_zh" not in assets
    with pytest.raises(UnknownAssetError, match="not fetched"):
        assets["measure_js_zh"]


def test_missing_leaflet_is_an_error_not_a_warning(tmp_path):
    broken = Library(
        id="leaflet", source="wheel", version="1.9.3", files=("leaflet.js",),
        module="no_such_module_for_test",
    )
    with pytest.raises(RequiredAssetsMissing, match="not installed"):
        install_static(static_dir=tmp_path, libraries=(broken,))


def test_served_urls_point_at_the_static_route(tmp_path):
    assets = asset_urls("served", static_dir=tmp_path, cache_dir=CACHE_DIR)
    assert assets.mode is AssetMode.SERVED
    assert assets["leaflet"] == f"{SERVED_PREFIX}/vendor/leaflet-1.9.3/leaflet.js"
    assert SERVED_PREFIX == "/app/static"
    for name, url in assets.items():
        assert url.startswith("/app/static/vendor/"), name
        relative = url.removeprefix("/app/static/")
        assert (tmp_path / relative).is_file(), name
    assert assets.links("leaflet", "leaflet_css")[1] == ("leaflet_css", assets["leaflet_css"])


def test_inline_assets_are_the_file_texts_with_images_as_data_uris():
    assets = asset_urls("inline")
    assert "L.version" in assets["leaflet"] or "Leaflet" in assets["leaflet"]
    css = assets["leaflet_css"]
    assert "url(images/" not in css and "data:image/png;base64," in css
    measure_css = assets["measure_css"]
    assert "assets/" not in measure_css.replace("data:", "")
    with pytest.raises(ValueError, match="served mode"):
        assets.links("leaflet")


def test_inline_css_leaves_absolute_and_missing_urls_alone(tmp_path):
    (tmp_path / "dot.png").write_bytes(b"\x89PNG\r\n")
    css = 'a{background:url("dot.png")} b{background:url(http://x/y.png)} c{background:url(no.png)}'
    out = inline_css(css, tmp_path)
    expected = base64.b64encode(b"\x89PNG\r\n").decode()
    assert f'url("data:image/png;base64,{expected}")' in out
    assert "url(http://x/y.png)" in out and "url(no.png)" in out


def _tarball(tmp_path, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("package/dist/plugin.js")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_fetch_uses_a_verified_tarball_and_is_idempotent(tmp_path):
    data = _tarball(tmp_path, b"console.log(1);")
    tarball = tmp_path / "cache" / "tarballs" / "demo-plugin-1.0.0.tgz"
    tarball.parent.mkdir(parents=True)
    tarball.write_bytes(data)
    library = Library(
        id="demo", source="npm", version="1.0.0", files=("plugin.js",), package="demo-plugin",
        integrity=tarball_integrity(tarball), root="dist", js={"demo_js": "plugin.js"},
    )
    assert fetch_library(library, tmp_path / "cache") is True
    assert fetch_library(library, tmp_path / "cache") is False
    assert library.source_dir(tmp_path / "cache").joinpath("plugin.js").read_bytes() == (
        b"console.log(1);"
    )
    report = install_static(tmp_path / "static", tmp_path / "cache", (library,))
    assert (report.installed["demo"] / "plugin.js").is_file()


def test_vendor_rejects_paths_outside_the_package(tmp_path):
    path = tmp_path / "vendor.toml"
    path.write_text(
        '[[libraries]]\nid = "x"\nsource = "npm"\nversion = "1"\npackage = "x"\n'
        'integrity = "sha512-AA=="\nfiles = ["../secret"]\n',
        encoding="utf-8",
    )
    with pytest.raises(VendorError, match="inside the package root"):
        load_vendor(path)
