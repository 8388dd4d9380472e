# The two commands of the README:
#   make baseline   set up, then run the baseline scenario (results/ and a chart)
#   make test       set up (Python packages, Chromium, dashboard assets), then run the tests
VENV ?= .venv
PY := $(VENV)/bin/python
MIGSIM := $(VENV)/bin/migsim
HOUSEHOLDS ?= 100000

.PHONY: setup baseline test test-all lint browser assets bench calibration clean

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

SOBOL_PARAMS = beta_income,beta_network,p_revisit_home,p_revisit_abroad,wage_ratio,asc_ru_tj,asc_ru_kg,asc_ru_uz,remit_share_tj,remit_share_kg,remit_share_uz,hazard_ru_after_law,p_irregular_ru,vulnerable_share

# Regenerate the shipped calibration and sensitivity (calibration/runs/): about 9 minutes on 2 cores.
calibration: setup
	rm -rf results/cal-2014 results/cal-2016 results/sensitivity
	$(MIGSIM) sensitivity --method morris --n 10 -n 5000 --workers 2 --out results/sensitivity
	$(MIGSIM) sensitivity --method sobol --n 32 -n 5000 --workers 2 --out results/sensitivity \
	  --params $(SOBOL_PARAMS)
	$(MIGSIM) calibrate --fit-until 2014-12 --population 40 --generations 10 -n 20000 \
	  --workers 2 --seed 1 --convergence --out results/cal-2014
	$(MIGSIM) validate --params results/cal-2014/best.toml -n 20000 --out results/cal-2014/validation.csv
	$(MIGSIM) validate --predictive results/cal-2014/predictive.csv --out results/cal-2014/validation_predictive.csv
	$(MIGSIM) calibrate --fit-until 2016-12 --population 80 --generations 12 -n 20000 \
	  --workers 2 --seed 2 --out results/cal-2016
	$(MIGSIM) validate -n 20000 --out results/cal-2016/validation_shipped_defaults.csv
	rm -rf calibration/runs/sensitivity && cp -r results/sensitivity calibration/runs/sensitivity
	for run in cal-2014 cal-2016; do \
	  rm -rf calibration/runs/$$run && mkdir -p calibration/runs/$$run && \
	  cp results/$$run/* calibration/runs/$$run/ && rm calibration/runs/$$run/abc.db && \
	  sed -i 's#^extends = ".*"#extends = "../../../scenarios/baseline.toml"#' calibration/runs/$$run/calibrated.toml; \
	done

bench: setup
	$(MIGSIM) bench --households 1000000 --steps 24

clean:
	rm -rf $(VENV) results test-artifacts .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
