# The two commands of the README:
#   make baseline   set up, then run the baseline scenario (results/ and a chart)
#   make test       set up (Python packages, Chromium, dashboard assets), then run the tests
VENV ?= .venv
PY := $(VENV)/bin/python
MIGSIM := $(VENV)/bin/migsim
HOUSEHOLDS ?= 100000

.PHONY: setup baseline test test-all lint browser assets bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

baseline: setup
	$(MIGSIM) run scenarios/baseline.toml --households $(HOUSEHOLDS) --out results/baseline.parquet

# Debian's Chromium for the browser tests (playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

assets: setup
	$(MIGSIM) assets

test: setup browser assets
	$(PY) -m pytest -q

test-all: setup browser assets
	$(PY) -m pytest -q -m ""

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(MIGSIM) bench --households 1000000 --steps 24

clean:
	rm -rf $(VENV) results test-artifacts .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
