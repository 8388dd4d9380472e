"""Rolling-origin validation: calibrate on data up to T, forecast the next years, score.

For each window (data up to 2014, 2016, 2019) a calibration starts from the
prior (no posterior fitted on later data is reused), the model runs on the
observed drivers of the following years, and the remittances of each origin
(as a share of GDP and in USD) are scored against carrying the last fitted
value forward:

- point error: mean absolute percentage error of the forecast (the
  posterior-predictive median with each particle moved by its own bias,
  estimated from the window's residuals, :mod:`calibration.discrepancy`),
  of the bare median (no discrepancy term) and of the naive forecast;
- bands: coverage of the 90% band (posterior, each particle's bias and the
  window's structural spread) and its interval score,
  against a naive band built from the historical year-on-year changes of
  the same series (``last * exp(+-1.645 * sd * sqrt(h))``, ``sd`` the
  standard deviation of the annual log changes 2005..T).

USD figures are the share times the WDI 2025 vintage GDP (the model's own
denominator), so the model's USD error equals its share error; the naive
forecasts differ (carrying the share forward is not carrying dollars forward).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import discrepancy
from calibration.targets import load_targets
from sim import data
from sim.data import ORIGINS

log = logging.getLogger(__name__)

Z90 = 1.6448536269514722


@dataclass(frozen=True)
class Window:
    """One rolling origin: fit on data up to ``fit_until``, forecast to December of ``last_year``."""

    fit_until: str
    last_year: int

    @property
    def name(self) -> str:
        return f"cal-{self.fit_until[:4]}"

    @property
    def first_year(self) -> int:
        return int(self.fit_until[:4]) + 1


# The 2014 window is partly in sample: the EAEU wage premium and the Uzbek recorded share were
# motivated by what remittances per migrant did in 2015-2016 (docs/calibration.md).
WINDOWS = (Window("2014-12", 2017), Window("2016-12", 2019), Window("2019-12", 2021))
IN_SAMPLE_NOTE = {"cal-2014": "partly in sample (mechanisms motivated by 2015-2016)"}


def observed_remittances() -> pd.DataFrame:
    """WDI 2025 vintage remittances per origin and year: share of GDP (%), USD and GDP, 2005-2021."""
    rows = []
    for origin in ORIGINS:
        share = data.wdi("bx_trf_pwkr_dt_gd_zs", origin)
        usd = data.wdi("bx_trf_pwkr_cd_dt", origin)
        gdp = data.wdi("ny_gdp_mktp_cd", origin)
        for year in sorted(share):
            rows.append((origin, year, share[year], usd.get(year, np.nan), gdp.get(year, np.nan)))
    return pd.DataFrame(rows, columns=["origin", "year", "share", "usd", "gdp"])


def naive_band(history: pd.Series, horizon: int) -> tuple[float, float, float]:
    """The last value and a 90% band from the series' annual log changes (``history`` by year)."""
    values = history.dropna().sort_index()
    last = float(values.iloc[-1])
    sd = float(np.std(np.diff(np.log(values.to_numpy())), ddof=1))
    spread = Z90 * sd * np.sqrt(horizon)
    return last, last * np.exp(-spread), last * np.exp(spread)


def backtest_sigma(points: pd.DataFrame, fit_until: str) -> dict[str, float]:
    """The forecast error of earlier windows, on years up to ``fit_until`` only (no leakage).

    RMS of ``log(observed / forecast)`` per origin over the share forecasts
    (:func:`forecast_column`) of windows that end before ``fit_until`` for
    years not after it; empty if there are none (the first window).
    """
    if points.empty:
        return {}
    last_year = int(fit_until[:4])
    earlier = (points["fit_until"] < fit_until) & (points["year"] <= last_year)
    past = points[earlier & (points["measure"] == "share")]
    errors = np.log(past["observed"] / past[forecast_column(past)])
    return {o: float(np.sqrt(np.mean(e**2))) for o, e in errors.groupby(past["origin"])}


def forecast_column(points: pd.DataFrame) -> str:
    """The column holding the point forecast: ``forecast`` (bias-corrected), or ``model`` in older
    tables written before the discrepancy had a bias."""
    return "forecast" if "forecast" in points.columns else "model"


def rewrite_discrepancy(run_dir: Path, window: Window) -> pd.DataFrame:
    """Estimate a window's discrepancy again from its particles and write its ``discrepancy.csv``
    and ``particle_bias.csv`` (as ``migsim calibrate`` does at the end of a fit)."""
    return discrepancy.estimate_run(run_dir, window.fit_until)


def score_window(run_dir: Path, window: Window, seed: int = 0, backtest: dict[str, float] | None = None
                 ) -> pd.DataFrame:  # fmt: skip
    """Every held-out remittance point of a window: observed, forecast, bands, naive band.

    ``model`` is the posterior-predictive median alone; ``forecast`` the
    median with each particle moved by its own bias (``exp(b_p)``, from the
    window's residuals, :func:`calibration.discrepancy.particle_bias`);
    ``model_q05``/``model_q95`` add the window's structural spread to that,
    widened for the years after the fit by the drift of its discrepancy
    (:func:`sim.ensemble.drifted_spread`); ``flat_q05``/``flat_q95``
    are the same band without the drift (the spread of the fitted years at
    every horizon, the band of the seventh round);
    ``backtest_q05``/``backtest_q95`` add to the ``model`` band, in
    quadrature, the forecast error of earlier windows
    (:func:`backtest_sigma`; the same band where there is none);
    ``posterior_q05``/``posterior_q95`` are the bare posterior.
    ``bias`` is the window's mean bias of the series. Returns one row per
    origin, year and measure (``share`` or ``usd``).
    """
    particles = pd.read_parquet(run_dir / "particles.parquet")
    targets = load_targets()
    sigma = discrepancy.estimate(particles, targets, window.fit_until)
    own = discrepancy.particle_bias(particles, targets, window.fit_until)
    with_error = discrepancy.predictive_quantiles(particles, targets, sigma, seed=seed, bias=own,
                                                  fit_until=window.fit_until)  # fmt: skip
    flat = discrepancy.predictive_quantiles(particles, targets, sigma, seed=seed, bias=own)
    corrected = discrepancy.predictive_quantiles(particles, targets, None, seed=seed, bias=own)
    posterior = discrepancy.predictive_quantiles(particles, targets, None, seed=seed)
    widened = sigma.copy()
    for origin, extra in (backtest or {}).items():
        key = f"remit_gdp_pct:{origin}"
        if key in widened.index:
            widened.loc[key, "sigma"] = float(np.hypot(widened.loc[key, "sigma"], extra))
    with_backtest = discrepancy.predictive_quantiles(particles, targets, widened, seed=seed, bias=own,
                                                     fit_until=window.fit_until)  # fmt: skip
    observed = observed_remittances()
    bias = {origin: discrepancy.offset(sigma, f"remit_gdp_pct:{origin}")[0] for origin in ORIGINS}
    rows = []
    for origin in ORIGINS:
        series = observed[observed["origin"] == origin].set_index("year")
        known = series.loc[: window.first_year - 1]
        for year in range(window.first_year, window.last_year + 1):
            key = f"remit_gdp_pct:{origin}:{year}"
            if key not in with_error.index or year not in series.index:
                continue
            gdp = float(series.loc[year, "gdp"]) / 100.0
            horizon = year - window.first_year + 1
            for measure, scale in (("share", 1.0), ("usd", gdp)):
                last, low, high = naive_band(known[measure], horizon)
                rows.append({
                    "window": window.name, "fit_until": window.fit_until, "origin": origin, "year": year,
                    "horizon": horizon, "measure": measure, "observed": float(series.loc[year, measure]),
                    "model": float(posterior.loc[key, "q50"]) * scale,
                    "forecast": float(corrected.loc[key, "q50"]) * scale,
                    "model_q05": float(with_error.loc[key, "q05"]) * scale,
                    "model_q95": float(with_error.loc[key, "q95"]) * scale,
                    "flat_q05": float(flat.loc[key, "q05"]) * scale,
                    "flat_q95": float(flat.loc[key, "q95"]) * scale,
                    "posterior_q05": float(posterior.loc[key, "q05"]) * scale,
                    "posterior_q95": float(posterior.loc[key, "q95"]) * scale,
                    "backtest_q05": float(with_backtest.loc[key, "q05"]) * scale,
                    "backtest_q95": float(with_backtest.loc[key, "q95"]) * scale,
                    "backtest_sigma": float((backtest or {}).get(origin, 0.0)),
                    "naive": last, "naive_q05": low, "naive_q95": high,
                    "sigma": float(sigma.loc[f"remit_gdp_pct:{origin}", "sigma"]),
                    "drift": discrepancy.step_of(sigma, f"remit_gdp_pct:{origin}"),
                    "bias": bias[origin],
                })  # fmt: skip
    return pd.DataFrame(rows)


BANDS = ("model", "flat", "backtest", "naive")  # the bands a table of points may hold (flat: from 4 Dec 2026)


def summarize(points: pd.DataFrame) -> pd.DataFrame:
    """Per window, origin and measure: MAPE of forecast, bare model and naive, band coverage and
    interval scores. ``beats_naive`` compares the forecast (bias-corrected) with the naive one."""
    obs = points["observed"]
    columns = {
        "forecast_ape": (points[forecast_column(points)] / obs - 1).abs(),
        "model_ape": (points["model"] / obs - 1).abs(),
        "naive_ape": (points["naive"] / obs - 1).abs(),
    }
    for prefix in [b for b in BANDS if f"{b}_q05" in points.columns]:
        low, high = points[f"{prefix}_q05"], points[f"{prefix}_q95"]
        columns[f"{prefix}_inside"] = (low <= obs) & (obs <= high)
        columns[f"{prefix}_is"] = discrepancy.interval_score(low, high, obs)
    table = points.assign(**columns).groupby(["window", "origin", "measure"], sort=False).agg(
        points=("observed", "size"), forecast_mape=("forecast_ape", "mean"), model_mape=("model_ape", "mean"),
        naive_mape=("naive_ape", "mean"),
        coverage=("model_inside", "mean"), naive_coverage=("naive_inside", "mean"),
        interval_score=("model_is", "mean"), naive_interval_score=("naive_is", "mean"),
        backtest_coverage=("backtest_inside", "mean"), backtest_interval_score=("backtest_is", "mean"),
        **({"flat_coverage": ("flat_inside", "mean"), "flat_interval_score": ("flat_is", "mean")}
           if "flat_q05" in points.columns else {}),
    )  # fmt: skip
    table["beats_naive"] = table["forecast_mape"] < table["naive_mape"]
    table["model_beats_naive"] = table["model_mape"] < table["naive_mape"]
    table = table.reset_index()
    table["note"] = table["window"].map(IN_SAMPLE_NOTE).fillna("")
    return table


def _band(points: pd.DataFrame, prefix: str) -> tuple[float, float]:
    """Coverage and mean scaled interval score of the band ``{prefix}_q05``-``{prefix}_q95``."""
    low, high, obs = points[f"{prefix}_q05"], points[f"{prefix}_q95"], points["observed"]
    inside = (low <= obs) & (obs <= high)
    return float(inside.mean()), float(discrepancy.interval_score(low, high, obs).mean())


def overall(points: pd.DataFrame) -> dict:
    """Pooled figures over every held-out point: coverage, interval scores, MAPEs, counts."""
    coverage, score = _band(points, "model")
    backtest_coverage, backtest_score = _band(points, "backtest")
    naive_coverage, naive_score = _band(points, "naive")
    out = {
        "points": int(len(points)),
        "coverage": coverage,
        "interval_score": score,
        "backtest_coverage": backtest_coverage,
        "backtest_interval_score": backtest_score,
        "naive_coverage": naive_coverage,
        "naive_interval_score": naive_score,
        "forecast_mape": float((points[forecast_column(points)] / points["observed"] - 1).abs().mean()),
        "model_mape": float((points["model"] / points["observed"] - 1).abs().mean()),
        "naive_mape": float((points["naive"] / points["observed"] - 1).abs().mean()),
    }
    if "flat_q05" in points.columns:  # the band without the drift (tables written from 4 Dec 2026)
        out["flat_coverage"], out["flat_interval_score"] = _band(points, "flat")
    return out


def format_summary(table: pd.DataFrame, pooled: dict) -> list[str]:
    """The printed lines of ``migsim validate --rolling``."""
    lines = [f"{'window':9} {'origin':6} {'measure':7} {'pts':>3} {'fcast':>7} {'model':>7} {'naive':>7} "
             f"{'beats':>5} {'cover':>6} {'IS':>6} {'btcover':>7} {'btIS':>6} {'naiveIS':>7}"]  # fmt: skip
    for row in table.itertuples(index=False):
        lines.append(f"{row.window:9} {row.origin:6} {row.measure:7} {row.points:>3} "
                     f"{row.forecast_mape:7.1%} {row.model_mape:7.1%} {row.naive_mape:7.1%} "
                     f"{'yes' if row.beats_naive else 'no':>5} "
                     f"{row.coverage:6.0%} "
                     f"{row.interval_score:6.2f} {row.backtest_coverage:7.0%} "
                     f"{row.backtest_interval_score:6.2f} {row.naive_interval_score:7.2f} "
                     f"{row.note}")  # fmt: skip
    lines.append(
        f"all {pooled['points']} held-out points: 90% band holds {pooled['coverage']:.0%}; interval score "
        f"{pooled['interval_score']:.3f} (naive band {pooled['naive_interval_score']:.3f}); MAPE "
        f"{pooled['forecast_mape']:.1%} (bare model {pooled['model_mape']:.1%}, "
        f"naive {pooled['naive_mape']:.1%})"
    )
    lines.append(
        f"with earlier windows' forecast errors added (bt): band holds {pooled['backtest_coverage']:.0%}, "
        f"interval score {pooled['backtest_interval_score']:.3f}"
        + (f"; without the drift (flat): band holds {pooled['flat_coverage']:.0%}, interval score "
           f"{pooled['flat_interval_score']:.3f}" if "flat_coverage" in pooled else "")
    )  # fmt: skip
    lines.append("fcast: posterior-predictive median, each particle moved by its own in-sample bias; model: "
                 "the median alone; beats: fcast against naive; band: posterior and the window's in-sample "
                 "discrepancy (bias, spread and its drift after the fit); bt: plus earlier windows' "
                 "forecast errors on years the window saw; flat: the band without the drift; IS: interval "
                 "score / observed (lower is better)")  # fmt: skip
    return lines


def plot(points: pd.DataFrame, path: Path, measure: str = "share") -> Path:
    """Observed remittances and each window's forecast: median, 90% band (posterior and structural
    error) and the naive band, one panel per origin."""
    import matplotlib

    from sim.results import atomic_write

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    observed = observed_remittances()
    colours = dict(zip([w.name for w in WINDOWS], ("#1b9e77", "#d95f02", "#7570b3"), strict=True))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    scale = 1.0 if measure == "share" else 1e-9
    for axis, origin in zip(axes, ORIGINS, strict=True):
        obs = observed[(observed["origin"] == origin) & (observed["year"] >= 2008)]
        axis.plot(obs["year"], obs[measure] * scale, color="black", marker="o", ms=3, lw=1, label="observed")
        part = points[(points["origin"] == origin) & (points["measure"] == measure)]
        for window, rows in part.groupby("window", sort=False):
            c = colours.get(window, "grey")
            axis.fill_between(rows["year"], rows["model_q05"] * scale, rows["model_q95"] * scale, color=c,
                              alpha=0.2, lw=0)  # fmt: skip
            axis.plot(
                rows["year"], rows[forecast_column(rows)] * scale, color=c, lw=1.6, label=f"{window} forecast"
            )
            axis.plot(rows["year"], rows["naive_q05"] * scale, color=c, lw=0.8, ls=":")
            axis.plot(rows["year"], rows["naive_q95"] * scale, color=c, lw=0.8, ls=":")
        axis.set_title(origin)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("remittances, % of GDP" if measure == "share" else "remittances, USD bn")
    axes[0].legend(fontsize=7)
    fig.suptitle("Rolling origins: each window fitted on data to its year, then forecast on observed "
                 "drivers, each particle corrected by its own in-sample bias\nshaded: 90% band (posterior "
                 "and structural error), dotted: naive band", fontsize=9)  # fmt: skip
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
    return path
