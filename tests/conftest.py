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


# the dashboard's in-process tests (tests/pages.py has their helpers)
@pytest.fixture
def kernel_context():
    """A virtual kernel, as the Solara server gives each browser session."""
    import uuid

    from solara.server import kernel, kernel_context

    name = uuid.uuid4().hex  # a fresh store per test: no listener of an earlier page survives
    context = kernel_context.VirtualKernelContext(id=name, kernel=kernel.Kernel(), session_id=name)
    with context:
        yield context
    context.close()


@pytest.fixture
def english():
    from dashboards.i18n import lang

    lang.set("en")
    yield
    lang.set("en")
