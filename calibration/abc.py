"""Bayesian calibration by ABC-SMC (pyabc), sampled on Dask.

The calibrated parameters (:data:`PRIORS`) were chosen by Morris screening
of the calibration distance (``migsim sensitivity --method morris``) and by
what national totals can tell apart: per-origin constants of Russia set the
number of migrants (the citizens-present counts), per-origin remittance
shares set remittances per migrant (the WDI shares), ``beta_income`` sets
the response to the 2014 rouble fall, ``hazard_ru_after_law`` the 2014 bans.
The network pull, the revisit probabilities, the migrant wage ratio and the
probability of a job are as influential but not separately identified from
these (they move the same totals as the constants and shares); they stay
at their documented defaults and are covered by the sensitivity analysis.

Outputs in the run directory (see :func:`calibrate`): ``abc.db`` (pyabc's
history; a rerun with the same settings continues it), ``settings.json``,
``posterior.parquet``, ``particles.parquet`` (each particle's simulated
targets), ``discrepancy.csv`` and ``particle_bias.csv``
(:mod:`calibration.discrepancy`), ``predictive.csv``, ``rescore.csv``,
``best.toml``, ``calibrated.toml``, ``posterior.png``, ``predictive.png``
and, if asked, ``convergence.csv``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import discrepancy
from calibration.distance import TargetDistance, distance
from calibration.runner import RunSetup, run_targets, seed_for
from calibration.targets import DEFAULT_FIT_UNTIL, horizon, in_fit, load_targets
from sim.errors import InputError
from sim.params import PRIORS as PARAM_PRIORS
from sim.results import atomic_write, folder_lock, read_state

log = logging.getLogger(__name__)

# name -> (low, high): uniform priors, declared with each parameter in sim/params.py
PRIORS: dict[str, tuple[float, float]] = dict(PARAM_PRIORS)
# settings that must match for a run directory to be continued
RESUME_KEYS = ("setup", "fit_until", "seed", "population", "priors", "kernel", "kernel_scaling",
               "sampler", "targets_sha")  # fmt: skip
KERNEL = "multivariate normal fitted on truncated weights (calibration/kernel.py)"
# Before 2 Dec 2026 pyabc's own samplers: populations depended on timing and OS entropy.
SAMPLER = "seeded: evaluation i of generation t from (root seed, t, i), index order (calibration/sampler.py)"
# Width of the multivariate normal proposal kernel, as a multiple of pyabc's default
# (Silverman's rule). With the default (1) the importance weights degenerated: effective
# sample sizes of 5-16 of 60 particles, 2.8 of 80 by the 12th generation. At 2 they stayed
# at 10-40 of 60 and epsilon fell further, for about a third more simulations. Scaling alone
# did not stop the 13-dimensional 2010-2021 fit from degenerating (ESS 1.6-6.4 of 120); fitting
# the kernel on truncated weights (KERNEL) did (docs/calibration.md, "The proposal kernel and
# the weights").
KERNEL_SCALING = 2.0
# The shipped defaults: of the RESCORE_PARTICLES particles with the smallest ABC distance, the
# one with the lowest mean distance over RESCORE_SEEDS fresh seeds (:func:`rescore`).
RESCORE_PARTICLES = 10
RESCORE_SEEDS = 3


@dataclass
class CalibrationSettings:
    """Everything that defines a calibration run (recorded in ``settings.json``)."""

    setup: RunSetup = field(default_factory=RunSetup)
    fit_until: str = DEFAULT_FIT_UNTIL
    seed: int = 0
    population: int = 30
    generations: int = 5
    max_simulations: int | None = None
    priors: dict = field(default_factory=lambda: dict(PRIORS))
    kernel_scaling: float = KERNEL_SCALING

    def as_dict(self) -> dict:
        import hashlib

        from calibration.targets import DATA

        return {
            "setup": self.setup.as_dict(),
            "fit_until": self.fit_until,
            "seed": self.seed,
            "population": self.population,
            "generations": self.generations,
            "max_simulations": self.max_simulations,
            "priors": {k: list(v) for k, v in self.priors.items()},
            "kernel": KERNEL,
            "kernel_scaling": self.kernel_scaling,
            "sampler": SAMPLER,
            "targets_sha": hashlib.sha256(DATA.read_bytes()).hexdigest()[:16],
        }


class TargetModel:
    """The pyabc model: parameters -> simulated value of every target (fit and validation).

    The seed of each simulation is derived from the root seed and the
    parameter values, so a particle is reproducible and particles differ.
    """

    def __init__(self, setup: RunSetup, targets: pd.DataFrame, seed: int):
        self.setup = setup
        self.targets = targets
        self.seed = seed

    def __call__(self, parameters: Mapping[str, float]) -> dict:
        params = {k: float(v) for k, v in dict(parameters).items()}
        values = run_targets(params, self.setup, seed_for(params, self.seed), self.targets)
        return {k: float(v) for k, v in values.items()}


def _prior(priors: Mapping[str, tuple[float, float]]):
    from pyabc import RV, Distribution

    return Distribution(**{k: RV("uniform", lo, hi - lo) for k, (lo, hi) in priors.items()})


def check_database(db: Path) -> None:
    """Refuse a damaged or empty pyabc database in one line, before any simulation."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            populations = con.execute("SELECT count(*) FROM populations").fetchone()[0]
    except sqlite3.Error as exc:
        raise InputError(f"{db}: damaged or not a pyabc database ({exc}); delete it and settings.json "
                         "to start the calibration again, or restore it") from None  # fmt: skip
    if populations < 1:
        raise InputError(f"{db}: holds no generation; delete it and settings.json to start again")


def _check_settings(out: Path, settings: CalibrationSettings) -> bool:
    """True if ``out`` holds a run to continue; raise if it was made with other settings."""
    db = out / "abc.db"
    if not db.exists():
        return False
    path = out / "settings.json"
    if not path.exists():
        raise InputError(f"{db} exists without settings.json; use a new --out directory")
    check_database(db)
    old = read_state(path, "calibration settings")
    new = settings.as_dict()
    for key in RESUME_KEYS:
        if old.get(key) != new.get(key):
            raise InputError(
                f"--out {out}: abc.db was made with other settings ({key}: {old.get(key)!r} there, "
                f"{new.get(key)!r} now); use the same settings to continue, or a new --out"
            )
    return True


def _sampler(seed: int, client):
    """The sampler (:class:`calibration.sampler.SeededSampler`): reproducible from the root seed, on
    ``client``'s workers if given. Batches of twice the workers keep them busy; the batch never
    changes the result."""
    from calibration.sampler import SeededSampler

    if client is None:
        return SeededSampler(seed)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    return SeededSampler(seed, client=client, batch=2 * workers)


def importance_weights(raw) -> np.ndarray:
    """A population's importance weights, normalised and truncated at mean × √N.

    With uniform priors a particle's weight is 1 / (proposal density), which
    can vary by orders of magnitude in 13 dimensions: with pyabc's own kernel
    the 2010-2021 fit at 120 particles had effective sample sizes of 1.6-6.4
    from its third generation on, so its posterior quantiles were one or two
    particles' values. Truncated importance sampling (Ionides 2008, J.
    Comput. Graph. Stat. 17:295) caps each normalised weight at
    ``sqrt(N) / N`` and renormalises: the variance is bounded, at a bias that
    vanishes as N grows. The proposal kernel is fitted on these weights
    (:mod:`calibration.kernel`), and so is everything this project reads
    from the last population (posterior, predictive quantiles, structural
    error, posterior draws).

    Parameters
    ----------
    raw : array_like
        Non-negative weights, not all zero.

    Returns
    -------
    ndarray
        Weights summing to 1.
    """
    w = np.asarray(raw, dtype=float)
    w = w / w.sum()
    w = np.minimum(w, np.sqrt(len(w)) / len(w))
    return w / w.sum()


def effective_sample_size(weights) -> float:
    """``1 / sum(w²)`` of normalised weights: how many equal particles they are worth."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    return float(1.0 / (w**2).sum())


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under ``weights`` (NaN values dropped)."""
    ok = np.isfinite(values)
    v, w = values[ok], weights[ok]
    if len(v) == 0:
        return float("nan")
    order = np.argsort(v)
    v, w = v[order], w[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, v))


def particle_targets(particles, weights, targets: pd.DataFrame) -> pd.DataFrame:
    """The population's simulated value of every target, one row per particle, with its weight.

    ``weights`` are the particles' posterior weights, in the same order
    (``posterior.parquet``'s). What the posterior-predictive bands and the
    discrepancy term are built from (:mod:`calibration.discrepancy`).
    """
    ids = list(targets["id"])
    frame = pd.DataFrame([[float(p.sum_stat.get(i, np.nan)) for i in ids] for p in particles], columns=ids)
    frame.insert(0, "weight", np.asarray(weights, dtype=float))
    return frame


def posterior_frames(particles, generation: int, targets: pd.DataFrame,
                     fit_until: str = DEFAULT_FIT_UNTIL) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """A population's particles (parameters, weight, distance) and predictive quantiles.

    ``particles`` are pyabc's (the last generation's, ``generation``). The
    weights are :func:`importance_weights` of pyabc's. ``period`` of the
    predictive table says whether a row was fitted (up to ``fit_until``) or
    held out.
    """
    rows, stats = [], []
    for p in particles:
        rows.append({**{k: float(v) for k, v in p.parameter.items()}, "weight": float(p.weight),
                     "distance": float(p.distance)})  # fmt: skip
        stats.append(p.sum_stat)
    post = pd.DataFrame(rows)
    post["weight"] = importance_weights(post["weight"])
    post.insert(0, "generation", int(generation))
    w = post["weight"].to_numpy()
    pred = targets[["id", "series", "date", "observed", "kind", "band_low"]].copy()
    pred["period"] = np.where(in_fit(targets, fit_until), "fit", "validation")
    for q, name in ((0.05, "q05"), (0.5, "q50"), (0.95, "q95")):
        pred[name] = [
            weighted_quantile(np.array([s.get(i, np.nan) for s in stats], dtype=float), w, q)
            for i in pred["id"]
        ]
    return post, pred


def rescore(post: pd.DataFrame, names: list[str], setup: RunSetup, fit: pd.DataFrame, root_seed: int,
            particles: int = RESCORE_PARTICLES, seeds: int = RESCORE_SEEDS) -> pd.DataFrame:  # fmt: skip
    """The distance of the ``particles`` best particles, rerun on ``seeds`` fresh seeds each.

    A particle's ABC distance comes from one run; the smallest of 120 such
    draws is partly luck (in the 2010-2021 fit the best particle's 0.141
    was 0.157 on three fresh seeds). Seeds ``root_seed + 1000 + s`` are
    derived like the calibration's, so the table is reproducible.

    Returns
    -------
    DataFrame
        One row per particle (``particle`` is its row in ``post``):
        ``abc_distance``, ``fresh_mean``, ``fresh_sd``, sorted by ``fresh_mean``.
    """
    rows = []
    for i in post.nsmallest(particles, "distance").index:
        params = {n: float(post.loc[i, n]) for n in names}
        runs = [run_targets(params, setup, seed_for(params, root_seed + 1000 + s), fit) for s in range(seeds)]
        fresh = [distance(run.to_numpy(), fit) for run in runs]
        rows.append({"particle": int(i), "abc_distance": float(post.loc[i, "distance"]),
                     "fresh_mean": float(np.mean(fresh)), "fresh_sd": float(np.std(fresh))})  # fmt: skip
    return pd.DataFrame(rows).sort_values(["fresh_mean", "particle"]).reset_index(drop=True)


def best_estimate(post: pd.DataFrame, names: list[str], rescored: pd.DataFrame) -> dict[str, float]:
    """The best-fitting particle of the last generation: the defaults a calibration ships.

    The first particle of ``rescored`` (:func:`rescore`): the lowest mean
    distance on fresh seeds. A point that was simulated, so its parameters go
    together; the marginal medians need not (they are recorded apart, with
    the 90% intervals).
    """
    return {n: float(post.loc[int(rescored.loc[0, "particle"]), n]) for n in names}


def posterior_medians(post: pd.DataFrame, names: list[str]) -> dict[str, float]:
    """The weighted posterior median of each parameter."""
    w = post["weight"].to_numpy()
    return {n: weighted_quantile(post[n].to_numpy(dtype=float), w, 0.5) for n in names}


def parameter_tables(values: Mapping[str, float]) -> str:
    """``[behaviour]`` and ``[policy]`` TOML tables for parameter values."""
    from sim.params import SPECS

    lines = []
    for group in ("behaviour", "measurement", "policy"):
        part = {k: v for k, v in values.items() if SPECS[k].group == group}
        if part:
            lines.append(f"[{group}]")
            lines += [f"{k} = {float(v):.6g}" for k, v in part.items()]
            lines.append("")
    return "\n".join(lines)


def write_parameter_files(
    out: Path, values: Mapping[str, float], scenario: str, note: str, spinup: int | None = None
) -> tuple[Path, Path]:
    """``best.toml`` (tables only) and ``calibrated.toml`` (extends the scenario).

    The parent is named by a path relative to ``out`` when ``out`` lies in the
    project (the pair moves with a checkout), else by its absolute path.
    """
    from calibration.runner import PROJECT_ROOT

    tables = parameter_tables(values)
    best = out / "best.toml"
    atomic_write(best, lambda tmp: tmp.write_text(f"# {note}\n\n{tables}"))
    parent = Path(scenario).resolve()
    inside = out.resolve().is_relative_to(PROJECT_ROOT) and parent.is_relative_to(PROJECT_ROOT)
    extends = os.path.relpath(parent, out.resolve()) if inside else str(parent)
    head = '[scenario]\nname = "calibrated"\ntitle = "Baseline with calibrated parameters"\n'
    head += f"extends = {json.dumps(extends)}\n"
    if spinup is not None:
        head += f"spinup_months = {int(spinup)}  # as in the calibration runs\n"
    text = f"# {note}\n\n{head}\n{tables}"
    calibrated = out / "calibrated.toml"
    atomic_write(calibrated, lambda tmp: tmp.write_text(text))
    return best, calibrated


def read_parameter_file(path: str | Path) -> dict[str, float]:
    """The ``[behaviour]`` and ``[policy]`` values of a TOML file (best.toml or a scenario)."""
    import tomllib

    from sim.params import check_value

    path = Path(path)
    if not path.is_file():
        raise InputError(f"--params {path}: file not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--params {path}: not valid TOML ({exc})") from None
    values = {}
    for group in ("behaviour", "measurement", "policy"):
        for key, value in raw.get(group, {}).items():
            values[key] = check_value(key, value, f"{path}: [{group}]")
    return values


def calibrate(
    out: str | Path,
    settings: CalibrationSettings,
    workers: int = 0,
    scheduler: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run (or continue) an ABC-SMC calibration; write its outputs to ``out``.

    Returns the summary recorded in ``settings.json``.
    """
    out = Path(out)
    if settings.population < 2 or settings.generations < 1:
        raise InputError("--population must be >= 2 and --generations >= 1")
    if not 0.1 <= settings.kernel_scaling <= 10:
        raise InputError(f"--kernel-scaling {settings.kernel_scaling}; allowed: a number in [0.1, 10]")
    for name, (lo, hi) in settings.priors.items():
        from sim.params import check_value

        check_value(name, lo, "priors")
        check_value(name, hi, "priors")
    with folder_lock(out, "calibration"):
        return _calibrate_locked(out, settings, workers, scheduler, progress)


def _calibrate_locked(out: Path, settings: CalibrationSettings, workers: int, scheduler: str | None,
                      progress: Callable[[str], None] | None) -> dict:  # fmt: skip
    """:func:`calibrate` once the run directory's lock is held."""
    import pyabc

    from calibration.kernel import TruncatedWeightsTransition

    resume = _check_settings(out, settings)
    all_targets = load_targets()
    fit = all_targets[in_fit(all_targets, settings.fit_until)].reset_index(drop=True)
    if fit.empty:
        raise InputError(f"--fit-until {settings.fit_until}: no target falls in the fit period")
    if settings.setup.until < horizon(fit):
        raise InputError(f"--until {settings.setup.until} ends before the last fitted target "
                         f"({horizon(fit)}); allowed: a month >= {horizon(fit)}")  # fmt: skip
    model = TargetModel(settings.setup, all_targets, settings.seed)
    observed = dict(zip(all_targets["id"], all_targets["observed"].astype(float), strict=True))
    db = f"sqlite:///{(out / 'abc.db').resolve()}"
    record = settings.as_dict()
    clock = time.perf_counter()

    from sim.batch.cluster import dask_client

    with contextlib.ExitStack() as stack:
        client = None
        if workers > 0 or scheduler:
            client = stack.enter_context(dask_client(workers, scheduler))
        abc = pyabc.ABCSMC(
            model, _prior(settings.priors), TargetDistance(fit),
            population_size=settings.population, sampler=_sampler(settings.seed, client),
            transitions=TruncatedWeightsTransition(scaling=settings.kernel_scaling),
        )  # fmt: skip
        if resume:
            history = abc.load(db, 1)
            done = history.max_t + 1
            if progress:
                progress(f"continuing {out / 'abc.db'}: {done} generation(s) done")
        else:
            atomic_write(out / "settings.json", lambda tmp: tmp.write_text(json.dumps(record, indent=2)))
            history = abc.new(db, observed)
            done = 0
        remaining = settings.generations - done
        if remaining > 0:
            if progress:
                progress(f"running {remaining} generation(s) of {settings.population} particles")
            kwargs = {"max_nr_populations": remaining}
            if settings.max_simulations:
                kwargs["max_total_nr_simulations"] = settings.max_simulations
            history = abc.run(**kwargs)
    elapsed = time.perf_counter() - clock

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    last = history.get_population().particles  # one read of the last generation
    post, pred = posterior_frames(last, history.max_t, all_targets, settings.fit_until)
    names = list(settings.priors)
    rescored = rescore(post, names, settings.setup, fit, settings.seed)
    best = best_estimate(post, names, rescored)
    chosen = rescored.loc[0]
    from calibration.targets import DATA

    write_table = _writer(out)
    write_table(post, "posterior.parquet")
    particles = particle_targets(last, post["weight"], all_targets)
    write_table(particles, "particles.parquet")
    discrepancy.write_tables(out, particles, all_targets, settings.fit_until)
    atomic_write(out / "predictive.csv", lambda tmp: pred.to_csv(tmp, index=False))
    atomic_write(out / "rescore.csv", lambda tmp: rescored.to_csv(tmp, index=False))
    write_parameter_files(
        out, best, settings.setup.scenario,
        f"best-fitting particle (distance {chosen['fresh_mean']:.4f}, mean of {RESCORE_SEEDS} fresh seeds; "
        f"{chosen['abc_distance']:.4f} in the ABC) of an ABC-SMC calibration "
        f"on targets up to {settings.fit_until} "
        f"({DATA.name}); made by migsim calibrate, settings in settings.json",
        spinup=settings.setup.spinup_months,
    )  # fmt: skip
    plot_posterior(post, settings.priors, out / "posterior.png", best)
    plot_predictive(pred, out / "predictive.png", settings.fit_until)
    summary = {
        **record,
        "generations_done": int(history.max_t + 1),
        "epsilons": [float(e) for e in pops["epsilon"]],
        "samples_per_generation": [int(s) for s in pops["samples"]],
        "total_simulations": int(history.total_nr_simulations),
        "effective_sample_size_untruncated": effective_sample_size([float(p.weight) for p in last]),
        "effective_sample_size": effective_sample_size(post["weight"]),
        "weights": "importance weights truncated at mean x sqrt(N) (Ionides 2008)",
        "seconds_this_session": round(elapsed, 1),
        "best": best,
        "best_distance": float(post["distance"].min()),
        "best_rule": f"lowest mean distance on {RESCORE_SEEDS} fresh seeds among the {RESCORE_PARTICLES} "
        "particles of smallest ABC distance (rescore.csv)",
        "best_fresh_distance": float(chosen["fresh_mean"]),
        "posterior_median": posterior_medians(post, names),
        "posterior_90": {
            n: [weighted_quantile(post[n].to_numpy(), post["weight"].to_numpy(), q) for q in (0.05, 0.95)]
            for n in names
        },  # fmt: skip
        "versions": _versions(),
    }
    atomic_write(out / "settings.json", lambda tmp: tmp.write_text(json.dumps(summary, indent=2)))
    return summary


def _writer(out: Path):
    def write(frame: pd.DataFrame, name: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        atomic_write(out / name, lambda tmp: pq.write_table(table, tmp))

    return write


def _versions() -> dict:
    from importlib.metadata import version

    from sim.data import vintage
    from sim.provenance import code_version

    return {"migsim": code_version(), "data_vintage": vintage(),
            **{p: version(p) for p in ("pyabc", "numpy", "numba", "pandas")}}  # fmt: skip


def plot_posterior(post: pd.DataFrame, priors: Mapping[str, tuple[float, float]], path: Path,
                   best: Mapping[str, float] | None = None) -> Path:  # fmt: skip
    """Weighted histograms of the marginal posteriors, on the prior ranges.

    Dashed: the uniform prior; dotted grey: the default of ``sim/params.py``;
    red: the best-fitting particle.
    """
    import matplotlib

    from sim.params import SPECS

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(priors)
    cols = 4
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        lo, hi = priors[name]
        ax.hist(post[name], bins=np.linspace(lo, hi, 16), weights=post["weight"], color="#4a7ab5",
                density=True)  # fmt: skip
        ax.axhline(1 / (hi - lo), color="grey", lw=1, ls="--", label="prior")
        ax.axvline(SPECS[name].default, color="grey", lw=1, ls=":")
        if best:
            ax.axvline(best[name], color="#c0392b", lw=1.2)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle(f"Marginal posteriors (generation {int(post['generation'].iloc[0])}, "
                 f"{len(post)} particles; dashed: uniform prior; dotted: default; red: best particle)",
                 fontsize=10)  # fmt: skip
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
    return path


def plot_predictive(pred: pd.DataFrame, path: Path, fit_until: str) -> Path:
    """Posterior-predictive 90% bands and medians against every observed series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = list(dict.fromkeys(pred["series"]))
    cols = 4
    rows = (len(series) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.3 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), series, strict=False):
        part = pred[pred["series"] == name].sort_values("date")
        x = np.arange(len(part))
        fit = part["period"].to_numpy() == "fit"
        ax.fill_between(x, part["q05"], part["q95"], color="#4a7ab5", alpha=0.3, step=None)
        ax.plot(x, part["q50"], color="#4a7ab5", lw=1)
        low = (part["q50"] - part["q05"]).clip(lower=0)
        high = (part["q95"] - part["q50"]).clip(lower=0)
        ax.errorbar(x, part["q50"], yerr=[low, high], fmt="none", ecolor="#4a7ab5", capsize=3, lw=1)
        ax.scatter(x[fit], part["observed"][fit], color="black", s=12, zorder=3, label="fitted")
        ax.scatter(x[~fit], part["observed"][~fit], facecolor="white", edgecolor="black", s=12,
                   zorder=3, label="held out")  # fmt: skip
        if (part["kind"] == "band").any():
            ax.scatter(x, part["observed"] * part["band_low"], marker="_", color="grey", s=30)
        ax.set_xticks(x, part["date"], fontsize=6, rotation=45)
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(series) :]:
        ax.axis("off")
    fig.suptitle(f"Posterior predictive: 90% band and median (blue); data fitted up to {fit_until} "
                 "(black), held out (white)", fontsize=9)  # fmt: skip
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
    return path


def convergence_check(
    setup: RunSetup,
    reference: int = 100_000,
    seeds: tuple[int, ...] = (0, 1),
    params: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Target values at ``setup.households`` against ``reference`` households.

    Returns the table (per target: mean at each size, relative difference,
    seed-to-seed coefficient of variation at the small size) and a summary:
    median and 90th percentile of the absolute relative difference, and the
    distance to the data at each size.
    """
    from dataclasses import replace

    targets = load_targets()
    params = dict(params or {})
    big = replace(setup, households=int(reference))
    run_targets(params, replace(setup, households=30), 0, targets)  # compile or load the kernels first
    clock = time.perf_counter()
    small_runs = pd.concat([run_targets(params, setup, s, targets) for s in seeds], axis=1)
    small_s = (time.perf_counter() - clock) / len(seeds)
    clock = time.perf_counter()
    big_runs = pd.concat([run_targets(params, big, s, targets) for s in seeds], axis=1)
    big_s = (time.perf_counter() - clock) / len(seeds)
    table = targets[["id", "kind"]].copy()
    table["small"] = small_runs.mean(axis=1).to_numpy()
    table["reference"] = big_runs.mean(axis=1).to_numpy()
    change = table["kind"] == "change"
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(change, table["small"] - table["reference"], table["small"] / table["reference"] - 1)
        cv = np.where(change, small_runs.std(axis=1), small_runs.std(axis=1) / small_runs.mean(axis=1).abs())
    table["difference"] = rel
    table["seed_cv_small"] = cv
    diff = np.abs(table["difference"].to_numpy(dtype=float))
    summary = {
        "households": setup.households,
        "reference_households": int(reference),
        "seeds": list(seeds),
        "median_abs_difference": float(np.nanmedian(diff)),
        "p90_abs_difference": float(np.nanpercentile(diff, 90)),
        "median_seed_cv_small": float(np.nanmedian(np.abs(cv))),
        "distance_small": float(distance(table.set_index("id")["small"], targets)),
        "distance_reference": float(distance(table.set_index("id")["reference"], targets)),
        "seconds_per_run_small": round(small_s, 2),
        "seconds_per_run_reference": round(big_s, 2),
    }
    return table, summary
