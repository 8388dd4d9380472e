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


def plot_scaling(rows: list[dict], path) -> None:
    """Seconds per simulated month against households (log-log), with a linear reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [row["households"] for row in rows]
    seconds = [row["seconds_per_step"] for row in rows]
    fig, ax = plt.subplots(figsize=(6, 4.2), constrained_layout=True)
    ax.loglog(sizes, seconds, "o-", label="numba engine, measured")
    ax.loglog(sizes, [seconds[0] * n / sizes[0] for n in sizes], "--", color="grey",
              label="linear in households")  # fmt: skip
    for n, s, row in zip(sizes, seconds, rows, strict=True):
        ax.annotate(f"{row['household_steps_per_s']:.2g}/s", (n, s), textcoords="offset points",
                    xytext=(4, -12), fontsize=8)  # fmt: skip
    ax.set_xlabel("households")
    ax.set_ylabel("seconds per simulated month")
    ax.set_title(f"migsim bench --scaling ({rows[0]['threads']} threads)")
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bench_attribution(
    households: int,
    seeds: int,
    start: str = "2013",
    end: str = "2015",
    scenario: str = "scenarios/baseline.toml",
    posterior: str | None = None,
    threads: int | None = None,
    seed: int = 0,
) -> dict:
    """Time one attribution (:func:`sim.attribution.attribute`) and a plain run, in the same process.

    The plain run is the same scenario, cut at the window's end, at the same
    size, timed whole (build, spin-up and months, as each run of the
    attribution is): ``household_months_per_s`` counts every simulated month,
    spin-up included. ``attribution_over_run`` is how many plain runs the
    attribution costs; ``runs`` is how many it made (coalitions of every
    member, and the ban law's runs).
    """
    import numba

    from sim.api import run
    from sim.attribution import attribute, core

    set_threads(threads)
    compile_s = compile_seconds()
    resolved = resolve_scenario(scenario)
    window = core.parse_window(start, end, resolved)
    cut = resolved.with_end(window.second[1])
    months = cut.end - cut.start + 1 + cut.spinup_months
    run(cut, households=households, seed=seed)  # warm-up: data tables, caches
    began = time.perf_counter()
    run(cut, households=households, seed=seed)
    run_s = time.perf_counter() - began

    counted = {"runs": 0}

    def progress(done: int, total: int) -> None:
        counted["runs"] = total

    began = time.perf_counter()
    result = attribute(resolved, start, end, seeds=seeds, seed=seed, posterior=posterior,
                       households=households, progress=progress)  # fmt: skip
    attribution_s = time.perf_counter() - began
    ban_law_runs = 10 * seeds if result.ban_law is not None else 0
    runs = counted["runs"] + ban_law_runs
    return {
        "households": households,
        "seeds": seeds,
        "window": f"{start}-{end}",
        "factors": len(result.request.factors),
        "runs": runs,
        "months_per_run": months,
        "compile_s": compile_s,
        "run_s": run_s,
        "household_months_per_s": households * months / run_s,
        "attribution_s": attribution_s,
        "attribution_seconds_per_run": attribution_s / runs,
        "attribution_over_run": attribution_s / run_s,
        "attribution_household_months_per_s": households * months * runs / attribution_s,
        "threads": numba.get_num_threads(),
    }
