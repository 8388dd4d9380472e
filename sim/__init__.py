"""migsim: labour migration from Central Asia, one household a row.

The public API is loaded lazily so that ``import sim`` stays fast:
``sim.load_scenario``, ``sim.run``, ``sim.run_ensemble``, ``sim.MigrationModel``,
``sim.Results``, ``sim.attribute``.
"""

from importlib import import_module

__all__ = ["InputError", "MigrationModel", "Results", "attribute", "load_scenario", "run", "run_ensemble"]

_LAZY = {
    "load_scenario": "sim.scenario",
    "run": "sim.api",
    "run_ensemble": "sim.ensemble",
    "MigrationModel": "sim.model",
    "Results": "sim.results",
    "InputError": "sim.errors",
    "attribute": "sim.attribution",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
