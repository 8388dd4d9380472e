"""Ensembles: the same scenario run with several seeds, summarised as mean and band.

Member seeds come from :class:`numpy.random.SeedSequence` spawned from one
root seed, so an ensemble is reproducible from ``(root seed, members)``, and
two scenarios run with the same root seed share their member seeds (common
random numbers, see :mod:`sim.compare`).

At large household counts seed noise alone is small and the band looks
falsely narrow. ``parameter_draws`` carries parameter uncertainty: given a
list of parameter dicts (e.g. :func:`posterior_draws` from a calibration's
``posterior.parquet``), member ``k`` also uses draw ``k`` and the band is
labelled ``"posterior and seed"`` instead of ``"seed noise only"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.defaults import MEMBER_HOUSEHOLDS
from sim.errors import InputError
from sim.scenario import Scenario

log = logging.getLogger(__name__)

SEED_ONLY = "seed noise only"
POSTERIOR_AND_SEED = "posterior and seed"
WITH_STRUCTURAL = "posterior, structural error and seed"
# a target series of the calibration -> the results columns its discrepancy widens
DISCREPANCY_COLUMNS = {"remit_gdp_pct": ("remittances_gdp_pct", "remittances_usd")}
STRUCTURAL_DRAWS = 64  # normal quantiles per member: reproducible, no random draws
KEY_COLUMNS = ("date", "origin")
MAX_MEMBERS = 1000


def member_seeds(root: int, count: int) -> tuple[int, ...]:
    """Seeds of ``count`` members, spawned from ``root``.

    Each child of ``SeedSequence(root).spawn(count)`` gives one 32-bit integer
    (``child.generate_state(1)[0]``), deterministic in ``(root, k)``; member
    ``k`` has the same seed in every ensemble of at least ``k + 1`` members.
    """
    if isinstance(root, bool) or not isinstance(root, int | np.integer) or root < 0:
        raise InputError(f"--seed {root!r}; allowed: an integer >= 0")
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or not 1 <= count <= MAX_MEMBERS:
        raise InputError(f"--seeds {count!r}; allowed: an integer from 1 to {MAX_MEMBERS}")
    children = np.random.SeedSequence(int(root)).spawn(int(count))
    return tuple(int(child.generate_state(1)[0]) for child in children)


def indicator_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """The indicators of :data:`sim.indicators.REGISTRY` that a results frame holds (not ``exclude``)."""
    from sim.indicators import present

    return [c for c in present(frame) if c not in exclude]


class StructuralError(NamedTuple):
    """A calibration's structural error of one level, on the log scale (:mod:`calibration.discrepancy`).

    The recorded series is expected at ``model * exp(bias + sigma_h * z)``,
    ``z`` standard normal: ``bias`` is how far the model has run low
    (positive) or high, persistently; ``sigma`` the spread around that in
    the fitted years. ``bias`` is one number for every member, or a tuple
    with one value per member (each posterior draw's own particle bias,
    :func:`read_discrepancy`). After the fit's last month ``fit_end``
    (``YYYY-MM``) the offset may drift: ``h`` years later the spread is
    ``sigma_h = sqrt(sigma^2 + h * drift^2)`` (:meth:`sigma_at`).
    """

    bias: float | tuple[float, ...] = 0.0
    sigma: float = 0.0
    drift: float = 0.0
    fit_end: str | None = None

    @classmethod
    def of(cls, value: StructuralError | tuple | float) -> StructuralError:
        """A plain number is a spread without bias (``StructuralError(0, value)``); a tuple is
        ``(bias, sigma)`` or ``(bias, sigma, drift, fit_end)``."""
        if isinstance(value, int | float | np.floating):
            return cls(0.0, float(value))
        bias = value[0]
        bias = tuple(float(b) for b in bias) if np.ndim(bias) else float(bias)
        drift, fit_end = (float(value[2]), value[3]) if len(value) > 2 else (0.0, None)
        return cls(bias, float(value[1]), drift, fit_end)

    def is_zero(self) -> bool:
        """True if it changes nothing (no bias, no spread, no drift)."""
        return self.sigma == 0 and self.drift == 0 and not np.any(self.bias)

    def sigma_at(self, dates) -> np.ndarray:
        """The spread at each of ``dates`` (datetimes, or years meaning their December):
        ``sqrt(sigma^2 + h * drift^2)``, ``h`` the years after ``fit_end`` (0 up to it)."""
        from sim.months import parse_month

        dates = np.atleast_1d(np.asarray(dates))
        if self.fit_end is None or self.drift == 0:
            return np.full(dates.shape, float(self.sigma))
        if np.issubdtype(dates.dtype, np.integer):
            months = dates.astype(int) * 12 + 11
        else:
            stamps = pd.DatetimeIndex(pd.to_datetime(dates))
            months = stamps.year.to_numpy() * 12 + stamps.month.to_numpy() - 1
        return drifted_spread(self.sigma, self.drift, (months - parse_month(self.fit_end, "fit_end")) / 12.0)

    def record(self) -> dict:
        """The error as plain JSON values: ``bias`` (float or list per member), ``sigma``, ``drift``
        and ``fit_end``."""
        bias = list(self.bias) if isinstance(self.bias, tuple) else float(self.bias)
        return {"bias": bias, "sigma": float(self.sigma), "drift": float(self.drift), "fit_end": self.fit_end}


def drifted_spread(sigma: float, drift: float, horizon: float | np.ndarray) -> np.ndarray:
    """The structural spread ``horizon`` years after a fit's last month: ``sqrt(sigma^2 + h * drift^2)``,
    ``h`` the horizon clipped at 0 (in sample the spread is ``sigma``)."""
    return np.sqrt(sigma**2 + np.maximum(np.asarray(horizon, dtype=float), 0.0) * drift**2)


PARTICLE_BIAS = "particle_bias.csv"  # each posterior particle's own bias, beside posterior.parquet


def read_discrepancy(posterior: str | Path, rows: Sequence[int] | None = None
                     ) -> dict[tuple[str, str], StructuralError]:  # fmt: skip
    """The structural error of a calibration, beside its ``posterior.parquet``.

    Returns ``{(results column, origin): StructuralError}`` from
    ``discrepancy.csv`` (log scale, :mod:`calibration.discrepancy`; tables
    without a ``bias`` or ``drift`` column have none), the drift counted from
    the ``fit_until`` of the calibration's ``settings.json`` (none without
    it); empty if the calibration wrote no table.
    With ``rows`` (the posterior rows an ensemble's members were drawn from,
    :func:`posterior_rows`) and a ``particle_bias.csv`` beside the posterior,
    a series' bias is a tuple: member ``k`` gets its own particle's bias
    ``b_p`` at ``rows[k]``, the form the rolling-origin validation scores.
    """
    path = Path(posterior).with_name("discrepancy.csv")
    if not path.is_file():
        return {}
    table = _read_table(path)
    biases = table["bias"] if "bias" in table.columns else pd.Series(0.0, index=table.index)
    own = _read_table(path.with_name(PARTICLE_BIAS)) if rows is not None else None
    if own is not None and max(rows, default=-1) >= len(own):
        raise InputError(f"{path.with_name(PARTICLE_BIAS)}: {len(own)} particles, but members were drawn "
                         f"from row {max(rows)}; re-run calibrate or make rescore")  # fmt: skip
    drifts = table["drift"] if "drift" in table.columns else pd.Series(0.0, index=table.index)
    fit_end = _fit_end(path.with_name("settings.json"))
    out = {}
    for series, bias, sigma, drift in zip(table["series"], biases, table["sigma"], drifts, strict=True):
        target, origin = str(series).split(":")
        if own is not None and series in own.columns:
            bias = own[series].to_numpy(dtype=float)[np.asarray(rows, dtype=int)]
        for column in DISCREPANCY_COLUMNS.get(target, ()):
            out[(column, origin)] = StructuralError.of((bias, sigma, drift, fit_end))
    return out


def _fit_end(settings: Path) -> str | None:
    """The ``fit_until`` of a calibration's ``settings.json``, or None if it has none."""
    import json

    if not settings.is_file():
        return None
    try:
        return json.loads(settings.read_text()).get("fit_until")
    except (OSError, ValueError) as exc:
        raise InputError(f"{settings}: not readable JSON ({exc}); re-run calibrate") from None


def _read_table(path: Path) -> pd.DataFrame | None:
    """A calibration's CSV table, or None if it is not there."""
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: not a readable table ({exc}); re-run calibrate or make rescore") from None


def member_bands(
    members: pd.DataFrame,
    by: Sequence[str] = KEY_COLUMNS,
    structural: Mapping[tuple[str, str], StructuralError | float] | None = None,
) -> pd.DataFrame:
    """Tidy summary over members: one row per (``by``, indicator) with mean, p05, p95.

    Every member must hold the same rows (as members of one ensemble do).
    Percentiles interpolate linearly between members (with three members p05
    and p95 lie close to the smallest and largest value). ``structural``
    (``{(indicator, origin): StructuralError}``, or a plain ``sigma``)
    replaces the band of those levels by where the recorded series is
    expected: each member stands for :data:`STRUCTURAL_DRAWS` values
    ``x * exp(bias + sigma * z)`` at the normal quantiles ``z``. The mean is
    the model's, unchanged, so with a bias the band is not centred on it.
    """
    columns = indicator_columns(members)
    ordered = members.sort_values(["member", *by], kind="stable")
    n_members = ordered["member"].nunique()
    first = ordered["member"].iloc[0]
    keys = ordered.loc[ordered["member"] == first, list(by)].reset_index(drop=True)
    if len(ordered) != n_members * len(keys):
        raise ValueError("members do not hold the same rows")
    cube = ordered[columns].to_numpy(dtype=float).reshape(n_members, len(keys), len(columns))
    with _quiet_nan():
        mean = np.nanmean(cube, axis=0)
        low, high = band(cube)
        if structural:
            _widen(cube, keys, columns, structural, low, high)
    out = pd.DataFrame({key: np.repeat(keys[key].to_numpy(), len(columns)) for key in by})
    out["indicator"] = np.tile(columns, len(keys))
    out["mean"] = mean.ravel()
    out["p05"] = low.ravel()
    out["p95"] = high.ravel()
    return out


BAND = (5.0, 95.0)  # percentiles of the band every table and chart shows, over members


def band(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The band over members along ``axis``: the 5th and 95th percentiles (:data:`BAND`).

    Percentiles interpolate linearly between members, so with three members
    they lie close to the smallest and largest value. The one definition of
    a band: ensembles, comparisons and the dashboard's what-if page use it.
    """
    with _quiet_nan():
        low, high = np.nanpercentile(values, BAND, axis=axis)
    return low, high


def structural_band(
    values: np.ndarray, sigma: float | np.ndarray, bias: float | Sequence[float] = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The band of levels ``values`` (members x points) with a log-normal structural error.

    Each member stands for :data:`STRUCTURAL_DRAWS` values
    ``x * exp(bias + sigma * z)`` at the normal quantiles ``z`` (no random
    draws, :func:`structural_spread`); the band is :func:`band` of them all.
    ``bias`` is one number or one per member (row of ``values``); ``sigma``
    one number or one per point (:meth:`StructuralError.sigma_at`).
    """
    return band(structural_spread(values, sigma, bias), axis=1)


def structural_spread(values: np.ndarray, sigma: float | np.ndarray, bias: float | Sequence[float] = 0.0
                      ) -> np.ndarray:  # fmt: skip
    """Where the recorded series is expected, per point: ``values`` (members x points) times
    ``exp(bias + sigma * z)`` at :data:`STRUCTURAL_DRAWS` normal quantiles ``z``; points x
    (members * draws). ``sigma`` is one number or one per point."""
    from statistics import NormalDist

    values = np.atleast_2d(np.asarray(values, dtype=float))
    z = np.array([NormalDist().inv_cdf((i + 0.5) / STRUCTURAL_DRAWS) for i in range(STRUCTURAL_DRAWS)])
    shift = np.broadcast_to(np.asarray(bias, dtype=float), (values.shape[0],))  # one per member
    spreads = np.broadcast_to(np.asarray(sigma, dtype=float), (values.shape[1],))  # one per point
    spread = values[:, :, None] * np.exp(shift[:, None, None] + spreads[None, :, None] * z[None, None, :])
    return spread.transpose(1, 0, 2).reshape(values.shape[1], -1)


def _widen(cube, keys, columns, structural, low, high) -> None:
    """Replace the band of the levels named in ``structural`` with :func:`structural_band`."""
    origins = keys["origin"].to_numpy() if "origin" in keys else None
    for (column, origin), value in structural.items():
        if column not in columns or origins is None:
            continue
        error = StructuralError.of(value)
        j = columns.index(column)
        rows = np.flatnonzero(origins == origin)
        sigma = error.sigma_at(keys["date"].to_numpy()[rows]) if "date" in keys else error.sigma
        low[rows, j], high[rows, j] = structural_band(cube[:, rows, j], sigma, error.bias)


class _quiet_nan:
    """Silence numpy's all-NaN slice warnings (household-level columns by sex)."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


@dataclass
class Ensemble:
    """The members of an ensemble and their summary.

    Attributes
    ----------
    members : DataFrame
        Long table: ``member``, ``seed``, ``date``, ``origin`` and every indicator.
    summary : DataFrame
        Tidy: ``date``, ``origin``, ``indicator``, ``mean``, ``p05``, ``p95``.
    seeds : tuple of int
        Member seeds, in member order.
    band_kind : str
        ``"seed noise only"`` or ``"posterior and seed"``.
    metadata : dict
        Provenance: the first member's run metadata plus the ensemble's settings.
    """

    members: pd.DataFrame
    summary: pd.DataFrame
    seeds: tuple[int, ...]
    band_kind: str
    metadata: dict = field(default_factory=dict)

    @property
    def scenario_name(self) -> str:
        return str(self.metadata.get("scenario", {}).get("name", ""))

    def wide(self) -> pd.DataFrame:
        """The summary with one row per (date, origin): ``<indicator>_mean``, ``_p05``, ``_p95``."""
        table = self.summary.pivot_table(index=list(KEY_COLUMNS), columns="indicator",
                                         values=["mean", "p05", "p95"], sort=False)  # fmt: skip
        table.columns = [f"{indicator}_{stat}" for stat, indicator in table.columns]
        return table.reset_index()

    def write(self, path: str | Path) -> Path:
        """Write the summary (tidy) as Parquet or CSV with the ensemble's provenance."""
        from sim.results import write_table

        path = Path(path)
        write_table(self.summary, path, self.metadata)
        return path


def _check_draws(draws: Sequence[Mapping[str, float]] | None, count: int) -> list[dict] | None:
    if draws is None:
        return None
    from sim.params import check_value

    draws = list(draws)
    if len(draws) < count:
        raise InputError(f"parameter_draws: {len(draws)} draws for {count} members; need at least {count}")
    checked = []
    for k, draw in enumerate(draws[:count]):
        if not isinstance(draw, Mapping):
            raise InputError(f"parameter_draws[{k}]: must be a mapping of parameter name to value")
        where = f"parameter_draws[{k}]"
        checked.append({name: check_value(name, value, where) for name, value in draw.items()})
    return checked


POSTERIOR_META_COLUMNS = ("generation", "weight", "distance")


def posterior_draws(path: str | Path, count: int, seed: int = 0) -> list[dict]:
    """``count`` parameter sets drawn, with replacement and by weight, from a posterior.

    Parameters
    ----------
    path : str or Path
        A ``posterior.parquet`` written by ``migsim calibrate``: one row per
        particle, parameter columns, a ``weight`` column.
    count : int
        Members of the ensemble.
    seed : int
        Root seed; the draws depend only on ``(seed, count)`` and the file.

    Returns
    -------
    list of dict
        One mapping of parameter name to value per member, for
        ``run_ensemble(..., parameter_draws=...)``; member ``k`` is row
        :func:`posterior_rows` ``[k]`` of the file.
    """
    frame = _read_posterior(path)
    names = [c for c in frame.columns if c not in POSTERIOR_META_COLUMNS]
    rows = _draw_rows(frame, count, seed)
    draws = [{name: float(frame[name].iloc[r]) for name in names} for r in rows]
    return _check_draws(draws, count)


def posterior_rows(path: str | Path, count: int, seed: int = 0) -> np.ndarray:
    """The rows of ``posterior.parquet`` that :func:`posterior_draws` ``(path, count, seed)`` draws."""
    return _draw_rows(_read_posterior(path), count, seed)


def posterior_ensemble(path: str | Path, count: int, seed: int = 0
                       ) -> tuple[list[dict], dict[tuple[str, str], StructuralError]]:  # fmt: skip
    """The parameter draws of ``count`` members and the structural error of their levels.

    :func:`posterior_draws` and :func:`read_discrepancy` for the same rows:
    each member's bias is its own particle's, where the calibration wrote
    ``particle_bias.csv``.
    """
    rows = posterior_rows(path, count, seed)
    return posterior_draws(path, count, seed), read_discrepancy(path, rows)


def _read_posterior(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--posterior {path}: file not found (a posterior.parquet of migsim calibrate)")
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"--posterior {path}: not a readable Parquet file ({exc})") from None
    if "weight" not in frame.columns or frame.empty:
        raise InputError(f"--posterior {path}: needs particles and a 'weight' column")
    weights = frame["weight"].to_numpy(dtype=float)
    if not (weights >= 0).all() or weights.sum() <= 0:
        raise InputError(f"--posterior {path}: weights must be >= 0 and not all zero")
    return frame


def _draw_rows(frame: pd.DataFrame, count: int, seed: int) -> np.ndarray:
    """``count`` rows drawn with replacement, by weight; they depend only on ``(seed, count)``."""
    weights = frame["weight"].to_numpy(dtype=float)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), count, 7]))
    return rng.choice(len(frame), size=count, p=weights / weights.sum())


def prepare(scenario: str | Path | Scenario, until: str | None = None) -> Scenario:
    """The resolved scenario, cut at ``until`` (``YYYY-MM``) if given."""
    from sim.model import resolve_scenario
    from sim.months import parse_month

    resolved = resolve_scenario(scenario)
    if until is not None:
        resolved = resolved.with_end(parse_month(until, "--until"))
    return resolved


def run_ensemble(
    scenario: str | Path | Scenario,
    seeds: int = 10,
    seed: int = 0,
    households: int = MEMBER_HOUSEHOLDS,
    until: str | None = None,
    engine: str = "numba",
    threads: int | None = None,
    parameter_draws: Sequence[Mapping[str, float]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    structural: Mapping[tuple[str, str], StructuralError | float] | None = None,
    **levers: float,
) -> Ensemble:
    """Run a scenario ``seeds`` times and summarise the members.

    Parameters
    ----------
    scenario : str, Path or Scenario
    seeds : int
        Number of members K.
    seed : int
        Root seed; member seeds are :func:`member_seeds` ``(seed, seeds)``.
    households : int
        Simulated households per member.
    until : str, optional
        Last month, ``YYYY-MM``.
    engine, threads
        As for :func:`sim.run`.
    parameter_draws : list of dict, optional
        Behavioural/policy parameter values per member (e.g. draws from a
        calibrated posterior); member ``k`` uses draw ``k`` on top of
        ``levers``. Changes ``band_kind`` to ``"posterior and seed"``.
    structural : dict, optional
        ``{(indicator, origin): StructuralError}`` of the calibration
        (:func:`read_discrepancy`): with ``parameter_draws``, the bands of
        those levels also carry the structural error (``band_kind``
        "posterior, structural error and seed"). Leave it out for differences
        between scenarios, where a shared discrepancy cancels.
    progress : callable, optional
        ``progress(done, total)`` over all members, in the units :func:`sim.run`
        reports (steps, spin-up included).
    **levers
        Parameter overrides for every member.

    Returns
    -------
    Ensemble
    """
    from sim.api import run

    member_seed = member_seeds(seed, seeds)
    draws = _check_draws(parameter_draws, len(member_seed))
    if isinstance(households, bool) or not isinstance(households, int | np.integer) or households < 3:
        raise InputError(f"--households {households!r}; allowed: an integer >= 3")
    resolved = prepare(scenario, until)
    count = len(member_seed)

    frames = []
    metadata: dict = {}
    for k, member in enumerate(member_seed):
        member_levers = {**levers, **(draws[k] if draws else {})}

        def tick(done: int, total: int, k: int = k) -> None:
            if progress is not None:
                progress(k * total + done, count * total)

        log.info("ensemble %s: member %d/%d, seed %d", resolved.name, k + 1, len(member_seed), member)
        results = run(resolved, households=int(households), seed=member, engine=engine,
                      threads=threads, progress=tick, **member_levers)  # fmt: skip
        frame = results.frame
        frame.insert(0, "seed", member)
        frame.insert(0, "member", k)
        frames.append(frame)
        if k == 0:
            metadata = dict(results.metadata)
    members = pd.concat(frames, ignore_index=True)
    band_kind = POSTERIOR_AND_SEED if draws else SEED_ONLY
    if structural and draws:
        band_kind = WITH_STRUCTURAL
    metadata.pop("seed", None)
    metadata.update(
        {
            "ensemble": {
                "members": len(member_seed),
                "root_seed": int(seed),
                "member_seeds": list(member_seed),
                "households": int(households),
                "band_kind": band_kind,
                "structural_error": {
                    f"{c}:{o}": StructuralError.of(s).record() for (c, o), s in (structural or {}).items()
                },
                "parameter_draws": draws,
                "levers": dict(levers),
                "seed_derivation": "numpy.random.SeedSequence(root).spawn(K)[k].generate_state(1)[0]",
            }
        }
    )
    return Ensemble(
        members=members,
        summary=member_bands(members, structural=structural if draws else None),
        seeds=member_seed,
        band_kind=band_kind,
        metadata=metadata,
    )
