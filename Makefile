# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make run    create .venv, install, fetch map assets, start the app on 127.0.0.1:8501
#   make test   the same set-up plus test extras and system packages, then the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install whenever pyproject.toml changes.
STAMP_RUN  := $(VENV)/.stamp-run
STAMP_TEST := $(VENV)/.stamp-test
ASSETS_STAMP := .assets-cache/.stamp
APT_PACKAGES := chromium fonts-noto-cjk poppler-utils python3-gdal postgresql postgresql-postgis

.PHONY: run test lint bench system-deps assets clean

run: $(STAMP_RUN) $(ASSETS_STAMP)
	$(BIN)/streamlit run streamlit_app.py

test: system-deps $(STAMP_TEST) $(ASSETS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP_TEST)
	$(BIN)/ruff check .

bench: $(STAMP_TEST) $(ASSETS_STAMP)
	$(BIN)/python bench/bench_hectares.py
	$(BIN)/python bench/bench_export.py
	$(BIN)/python bench/bench_app.py
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_upload.py
	$(BIN)/python bench/bench_scale.py
	$(BIN)/python bench/bench_tiles.py
	$(BIN)/python bench/bench_reference_tiles.py
	$(BIN)/python bench/bench_exports_scale.py
	$(BIN)/python bench/bench_layer_file.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

# Leaflet plugins that no Python wheel carries come from the npm registry,
# pinned in geo_app/assets/vendor.toml; nothing third-party is committed.
$(ASSETS_STAMP): geo_app/assets/vendor.toml | $(BIN)/python
	$(BIN)/python -m geo_app.assets.fetch
	touch $@

# The browser tests drive Debian's Chromium; exports need a CJK font and pdftotext; the
# workspace is checked with GDAL's GeoPackage validator (validate_gpkg.py, python3-gdal);
# the PostGIS tests start a throwaway PostgreSQL cluster with the PostGIS extension
# (postgresql and postgresql-postgis: Debian's default server version and its PostGIS).
system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "Install them with: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .assets-cache static/vendor .pytest_cache .ruff_cache
