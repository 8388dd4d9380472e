"""Benchmarks: household-steps per second, memory, compile and build times.

Figures are measured, never asserted: ``migsim bench`` prints them and
``docs/performance.md`` quotes them. Build (population, network), compile and
stepping are timed apart; the stepping loop is timed after one warm-up step.
"""

from __future__ import annotations

import dataclasses
import resource
import time

from sim import kernels
from sim.api import set_threads
from sim.model import MigrationModel, resolve_scenario
from sim.months import format_month

SCALING_SIZES = (10_000, 100_000, 1_000_000, 8_000_000)


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def compile_seconds() -> float:
    """Time to make the kernels callable (compile on a cold cache, load on a warm one)."""
    start = time.perf_counter()
    MigrationModel(households=30, seed=0, until="2010-02")
    return time.perf_counter() - start


def bench(
    households: int,
    steps: int,
    engine: str = "numba",
    threads: int | None = None,
    scenario: str = "scenarios/baseline.toml",
    seed: int = 0,
) -> dict:
    """Measure one configuration; returns a JSON-ready dict."""
    import numba

    set_threads(threads)
    compile_s = compile_seconds()
    resolved = resolve_scenario(scenario)
    resolved = dataclasses.replace(resolved, spinup_months=0)
    horizon = resolved.end - resolved.start + 1
    steps = min(steps, horizon - 1)
    resolved = resolved.with_end(resolved.start + steps)

    start = time.perf_counter()
    model = MigrationModel(scenario=resolved, households=households, seed=seed, engine=engine)
    build_s = time.perf_counter() - start
    network_build_s = model.timings["network_s"]

    model.step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    elapsed = time.perf_counter() - start
    return {
        "households": households,
        "steps": steps,
        "engine": engine,
        "threads": numba.get_num_threads(),
        "household_steps_per_s": households * steps / elapsed,
        "seconds_per_step": elapsed / steps,
        "compile_s": compile_s,
        "build_s": build_s,
        "network_build_s": network_build_s,
        "bytes_per_household": model.state.nbytes() / households,
        "mean_degree": float(model.state.indptr[-1] / households),
        "peak_rss_mb": peak_rss_mb(),
        "block": kernels.BLOCK,
        "first_month": format_month(resolved.start),
    }
