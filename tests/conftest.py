"""Shared fixtures: one warm-up of the numba kernels per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def warm_kernels():
    """Compile (or load from cache) the kernels once, before any test is timed."""
    from sim.model import MigrationModel

    MigrationModel(scenario=BASELINE, households=30, seed=0, until="2010-02")


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture(scope="session")
def baseline_small():
    """The baseline at 6,000 households, seed 3, computed once per session."""
    import sim

    return sim.run(BASELINE, households=6000, seed=3)
