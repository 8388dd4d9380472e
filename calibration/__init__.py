"""Calibration and validation of migsim against public figures.

- :mod:`calibration.targets`: the observed targets (``data/targets.csv``) and
  the mapping from a run's results to each of them;
- :mod:`calibration.distance`: the unit-free distance between simulated and
  observed targets;
- :mod:`calibration.abc`: Bayesian calibration by ABC-SMC (pyabc) on Dask;
- :mod:`calibration.validate`: out-of-sample error against a naive forecast;
- :mod:`calibration.sensitivity`: Morris screening and Sobol indices (SALib).

``docs/calibration.md`` describes the method and the figures measured.
"""
