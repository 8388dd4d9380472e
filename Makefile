# The two commands of the README:
#   make baseline   set up, then run the baseline scenario (results/ and a chart)
#   make test       set up (Python packages, Chromium, dashboard assets), then run the tests
VENV ?= .venv
PY := $(VENV)/bin/python
MIGSIM := $(VENV)/bin/migsim
HOUSEHOLDS ?= 100000

.PHONY: setup baseline test test-all lint browser slurm assets bench calibration attribution episodes clean rescore forecast ensemble-check

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

# Debian's Slurm and munge for the cluster test (tests/test_slurm.py starts a one-node Slurm on this host).
slurm:
	@command -v slurmctld >/dev/null 2>&1 && command -v munged >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q slurm-wlm munge; }

assets: setup
	$(MIGSIM) assets

test: setup browser slurm assets lint
	$(PY) -m pytest -q

test-all: setup browser slurm assets
	$(PY) -m pytest -q -m ""

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

SOBOL_PARAMS = beta_income,beta_network,p_revisit_home,p_revisit_abroad,wage_ratio,asc_ru_tj,asc_ru_kg,asc_ru_uz,remit_share_tj,remit_share_kg,remit_share_uz,hazard_ru_after_law,p_irregular_ru,vulnerable_share,demand_elasticity,eaeu_wage_premium

# Regenerate the shipped calibration, validation and sensitivity (calibration/runs/): the 2010-2021 fit,
# the rolling-origin windows (data to 2014, 2016, 2019, each from the prior) and the World Bank 2015
# comparison. Every fit runs 16 generations of 120 particles (docs/calibration.md, seventh round).
# About two and a half hours on 2 quiet cores: the 2010-2021 fit 28 min, the rolling windows 28-32 min each
# (4 Dec 2026: 1,701, 1,927 and 1,872 s of fitting, then their forecasts and scores).
calibration: setup
	rm -rf results/cal-2021 results/rolling results/sensitivity
	$(MIGSIM) sensitivity --method morris --n 40 -n 5000 --workers 2 --out results/sensitivity
	$(MIGSIM) sensitivity --method sobol --n 128 -n 5000 --workers 2 --out results/sensitivity \
	  --params $(SOBOL_PARAMS)
	$(MIGSIM) calibrate --fit-until 2021-12 --until 2021-12 --population 120 --generations 16 -n 20000 \
	  --workers 2 --seed 1 --convergence --out results/cal-2021
	$(MIGSIM) validate --predictive results/cal-2021/predictive.csv --fit-until 2021-12 \
	  --out results/cal-2021/validation_predictive.csv
	$(MIGSIM) validate --rolling --population 120 --generations 16 -n 20000 --workers 2 --seed 1 \
	  --out results/rolling
	$(PY) -m calibration.discrepancy results/cal-2021 results/rolling/rolling_points.csv
	rm -rf calibration/runs/sensitivity && cp -r results/sensitivity calibration/runs/sensitivity
	rm -rf calibration/runs/cal-2021 calibration/runs/rolling calibration/runs/cal-2014 calibration/runs/cal-2016
	mkdir -p calibration/runs/cal-2021 calibration/runs/rolling
	cp results/cal-2021/* calibration/runs/cal-2021/ && rm calibration/runs/cal-2021/abc.db
	cp results/rolling/*.csv results/rolling/*.json results/rolling/*.png calibration/runs/rolling/
	for run in cal-2014 cal-2016 cal-2019; do \
	  mkdir -p calibration/runs/rolling/$$run && cp results/rolling/$$run/* calibration/runs/rolling/$$run/ && \
	  rm calibration/runs/rolling/$$run/abc.db; \
	done
	cp -r calibration/runs/rolling/cal-2014 calibration/runs/cal-2014
	for run in cal-2021 cal-2014 rolling/cal-2016 rolling/cal-2019 rolling/cal-2014; do \
	  sed -i 's#^extends = ".*"#extends = "'$$(python3 -c "import os,sys; print(os.path.relpath('scenarios/baseline.toml', sys.argv[1]))" calibration/runs/$$run)'"#' \
	    calibration/runs/$$run/calibrated.toml; \
	done
	$(MAKE) forecast

# Score the shipped fits again without refitting (after a change to how forecasts or bands are scored):
# the rolling windows' tables and discrepancies, the 2014 window's copy, the 2010-2021 discrepancy
rescore: setup
	$(MIGSIM) validate --rolling --rescore --out calibration/runs/rolling
	cp calibration/runs/rolling/cal-2014/discrepancy.csv calibration/runs/rolling/cal-2014/particle_bias.csv calibration/runs/cal-2014/
	$(PY) -m calibration.discrepancy calibration/runs/cal-2021 calibration/runs/rolling/rolling_points.csv

# The 2010-2021 fit's forecast of 2022-2024 remittances, fixed before the recorded figures are seen
# (calibration/holdout.py; score it with migsim validate --holdout FILE). About a minute.
forecast: setup
	$(PY) -m calibration.holdout calibration/runs/cal-2021

# The bands users see, scored with fresh members on the rolling windows' held-out years: the ten
# ensembles (members K, root seed) of docs/calibration.md, "The bands users see". About two minutes.
ensemble-check: setup
	for pair in "3 0" "3 1" "3 2" "8 0" "8 1" "8 2" "8 3" "8 4" "40 0" "40 1"; do \
	  echo "== K, root seed: $$pair"; $(PY) -m calibration.ensemble_check calibration/runs/rolling $$pair; \
	done

# What drove 2013-2015 (docs/attribution.md): 5 members of the 2021 calibration, 20,000 households
ATTRIBUTION := results/attr-2013-2015
attribution: setup
	$(MIGSIM) attribute scenarios/baseline.toml --from 2013 --to 2015 --seeds 5 -n 20000 --seed 0 \
	  --posterior calibration/runs/cal-2021/posterior.parquet --out $(ATTRIBUTION)
	mkdir -p docs/attribution-2013-2015
	cp $(ATTRIBUTION)/*.csv $(ATTRIBUTION)/summary_*.txt $(ATTRIBUTION)/waterfall_remittances_usd_*.png \
	  docs/attribution-2013-2015/

# The dashboard's "What drove it?" episodes (dashboards/episodes/, shipped): 2013-2015, 2019-2021, 2021-2022
# and 2024-2025 of the baseline, 10,000 households x 3 members of the 2021 calibration (docs/dashboard.md)
episodes: setup
	$(PY) -m dashboards.episodes --workers 2

bench: setup
	$(MIGSIM) bench --households 1000000 --steps 24

clean:
	rm -rf $(VENV) results test-artifacts .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
