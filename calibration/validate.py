"""Out-of-sample validation: predict the held-out targets, compare with a naive forecast.

Parameters calibrated on data up to ``fit_until`` are run over 2010-2021
(a few seeds, averaged); every held-out target row is scored with the error
of :mod:`calibration.distance` (relative error for levels, hinge for bounds,
percentage points for changes), and so is the naive forecast: the last
fitted observation of the same series carried forward (for a change of
citizens present: the change implied by carrying the last fitted count
forward, i.e. none after it). Series with no fitted observation have no
naive forecast. :mod:`calibration.rolling` does the same for rolling
origins, with bands.

:func:`criteria` adds the acceptance figures: the mean absolute percentage
error of the 2010-2021 remittance shares, the 2013-2016 fall of citizens
present, and whether the counts of October 2013 to June 2018 lie in their
band, per origin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.distance import errors
from calibration.runner import RunSetup, run_targets
from calibration.targets import DEFAULT_FIT_UNTIL, in_fit, last_month, load_targets
from sim.errors import InputError


def simulate_mean(params: Mapping[str, float], setup: RunSetup, seeds: Sequence[int],
                  targets: pd.DataFrame) -> pd.Series:  # fmt: skip
    """Simulated targets averaged over ``seeds``."""
    runs = pd.concat([run_targets(dict(params), setup, s, targets) for s in seeds], axis=1)
    return runs.mean(axis=1)


def naive_forecast(targets: pd.DataFrame, fit_until: str = DEFAULT_FIT_UNTIL) -> pd.Series:
    """The naive prediction of every row: the last fitted observation carried forward."""
    fit = in_fit(targets, fit_until)
    ends = targets["date"].astype(str).map(last_month)
    known = targets[fit].assign(end=ends[fit]).sort_values("end")
    last = known.groupby("series")["observed"].last()
    out = targets["series"].map(last).astype(float)
    for i, row in targets.iterrows():
        if fit[i]:
            out[i] = row["observed"]
        elif row["kind"] == "change":
            levels = known[(known["origin"] == row["origin"]) & (known["column"] == row["column"])
                           & (known["stat"] == "month")]  # fmt: skip
            if levels.empty:
                out[i] = np.nan
                continue
            carried = float(levels["observed"].iloc[-1])
            at_base = levels[levels["date"] == str(row["base_date"])]["observed"]
            base = float(at_base.iloc[0]) if len(at_base) else carried
            out[i] = carried / base - 1
    return pd.Series(out.to_numpy(dtype=float), index=targets["id"].to_numpy())


def validation_table(simulated: pd.Series, targets: pd.DataFrame,
                     fit_until: str = DEFAULT_FIT_UNTIL) -> pd.DataFrame:  # fmt: skip
    """Per held-out series: points, mean absolute error of the model and of the naive forecast."""
    held = targets[~in_fit(targets, fit_until)].reset_index(drop=True)
    held = held[held["weight"] > 0].reset_index(drop=True)
    model = np.abs(errors(simulated, held))
    naive_values = naive_forecast(targets, fit_until).reindex(held["id"]).to_numpy()
    naive = np.abs(errors(naive_values, held))
    naive = np.where(np.isnan(naive_values), np.nan, naive)
    frame = pd.DataFrame({"series": held["series"], "kind": held["kind"], "weight": held["weight"],
                          "model": model, "naive": naive})  # fmt: skip
    table = frame.groupby("series", sort=False).agg(
        kind=("kind", "first"), weight=("weight", "first"), points=("model", "size"),
        model_error=("model", "mean"), naive_error=("naive", "mean"),
    )  # fmt: skip
    wins = np.where(table["model_error"] < table["naive_error"], "yes", "no")
    table["better"] = np.where(table["naive_error"].isna(), "n/a", wins)
    scored = table[table["naive_error"].notna()]
    w = scored["weight"]
    total = pd.DataFrame(
        {"kind": ["-"], "weight": [w.sum()], "points": [int(scored["points"].sum())],
         "model_error": [float((w * scored["model_error"]).sum() / w.sum()) if len(w) else np.nan],
         "naive_error": [float((w * scored["naive_error"]).sum() / w.sum()) if len(w) else np.nan]},
        index=["weighted mean (series with a naive forecast)"],
    )  # fmt: skip
    total["better"] = np.where(total["model_error"] < total["naive_error"], "yes", "no")
    return pd.concat([table, total])


COUNTS_FROM, COUNTS_TO = "2013-10", "2018-06"  # the counts of citizens present the model must lie within


def criteria(simulated: pd.Series, targets: pd.DataFrame) -> pd.DataFrame:
    """The acceptance figures per origin: remittance-share MAPE 2010-2021, the 2013-16 fall, and
    whether every count of citizens present from October 2013 to June 2018 lies in its band."""
    rows = []
    sim = simulated.reindex(targets["id"]).to_numpy(dtype=float)
    for origin in ("TJ", "KG", "UZ"):
        remit = (targets["target"] == "remit_gdp_pct") & (targets["origin"] == origin)
        obs = targets.loc[remit, "observed"].to_numpy(dtype=float)
        mape = float(np.mean(np.abs(sim[remit.to_numpy()] / obs - 1))) if remit.any() else np.nan
        counts = ((targets["target"] == "citizens_present") & (targets["origin"] == origin)
                  & targets["date"].astype(str).between(COUNTS_FROM, COUNTS_TO)).to_numpy()  # fmt: skip
        ratio = sim[counts] / targets.loc[counts, "observed"].to_numpy(dtype=float)
        low = targets.loc[counts, "band_low"].to_numpy(dtype=float)
        fall = (targets["target"] == "citizens_present_fall") & (targets["origin"] == origin)
        o_fall = float(targets.loc[fall, "observed"].iloc[0]) if fall.any() else np.nan
        s_fall = float(sim[fall.to_numpy()][0]) if fall.any() else np.nan
        rows.append({
            "origin": origin, "remit_mape": mape, "fall_observed": o_fall, "fall_simulated": s_fall,
            "fall_ok": bool(np.sign(s_fall) == np.sign(o_fall) and abs(s_fall - o_fall) <= 0.10),
            "counts_in_band": int(((ratio >= low) & (ratio <= 1.0)).sum()), "counts": int(counts.sum()),
        })  # fmt: skip
    out = pd.DataFrame(rows).set_index("origin")
    remit_all = targets["target"] == "remit_gdp_pct"
    obs_all = targets.loc[remit_all, "observed"].to_numpy(dtype=float)
    out.attrs["remit_mape_all"] = float(np.mean(np.abs(sim[remit_all.to_numpy()] / obs_all - 1)))
    return out


def validate(params: Mapping[str, float], setup: RunSetup, seeds: Sequence[int] = (0, 1, 2),
             fit_until: str = DEFAULT_FIT_UNTIL) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:  # fmt: skip
    """Run, then score: (validation table, acceptance criteria, simulated targets)."""
    targets = load_targets()
    simulated = simulate_mean(params, setup, seeds, targets)
    return validation_table(simulated, targets, fit_until), criteria(simulated, targets), simulated


PREDICTIVE_COLUMNS = ("id", "q05", "q50", "q95")


def read_predictive(path) -> pd.DataFrame:
    """A calibration's ``predictive.csv``: weighted 5/50/95% quantiles of every target, by id."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--predictive {path}: no such file; allowed: a calibration run's predictive.csv")
    frame = pd.read_csv(path)
    missing = [c for c in PREDICTIVE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; "
                         f"allowed: a predictive.csv written by migsim calibrate")  # fmt: skip
    return frame.set_index("id")[["q05", "q50", "q95"]]


def predictive_validation(predictive: pd.DataFrame, fit_until: str = DEFAULT_FIT_UNTIL
                          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, float]:  # fmt: skip
    """Score the posterior-predictive median of a calibration instead of one parameter set.

    The median over the particles of the last generation, each simulated once
    during the calibration, is the prediction; nothing is run. Also returns the
    coverage: the share of held-out level and change targets whose observed
    value lies inside the 90% predictive band.
    """
    targets = load_targets()
    simulated = predictive["q50"].reindex(targets["id"])
    simulated.index = targets["id"].to_numpy()
    held = targets[~in_fit(targets, fit_until) & (targets["weight"] > 0)
                   & targets["kind"].isin(["level", "change"])]  # fmt: skip
    band = predictive.reindex(held["id"])
    obs = held["observed"].to_numpy(dtype=float)
    inside = (band["q05"].to_numpy() <= obs) & (obs <= band["q95"].to_numpy())
    coverage = float(np.mean(inside)) if len(inside) else float("nan")
    return validation_table(simulated, targets, fit_until), criteria(simulated, targets), simulated, coverage


def format_table(table: pd.DataFrame, crit: pd.DataFrame) -> list[str]:
    """The printed lines of ``migsim validate``."""
    lines = [f"{'held-out series':46} {'kind':6} {'pts':>3} {'model':>7} {'naive':>7}  better"]
    for name, row in table.iterrows():
        naive = "n/a" if pd.isna(row["naive_error"]) else f"{row['naive_error']:7.1%}"
        lines.append(f"{name:46} {row['kind']:6} {int(row['points']):>3} {row['model_error']:7.1%} "
                     f"{naive:>7}  {row['better']}")  # fmt: skip
    lines.append("errors: mean |relative error| (levels), hinge (bounds, bands), |difference| (changes)")
    lines.append("")
    lines.append(f"{'origin':6} {'remit MAPE':>10} {'fall 2013-16 obs':>17} {'sim':>7}  ok  "
                 f"counts {COUNTS_FROM}..{COUNTS_TO} in band")  # fmt: skip
    for origin, row in crit.iterrows():
        lines.append(f"{origin:6} {row['remit_mape']:10.1%} {row['fall_observed']:17.1%} "
                     f"{row['fall_simulated']:7.1%}  {'yes' if row['fall_ok'] else 'no':3} "
                     f"{row['counts_in_band']} of {row['counts']}")  # fmt: skip
    lines.append(f"remittance-share MAPE, every target year, all origins: {crit.attrs['remit_mape_all']:.1%} "
                 "(goal <= 10%); fall: same direction and within 10 points; "
                 "band: 75-100% of each count")  # fmt: skip
    return lines
