"""Summaries of a batch: per scenario and design point, means and 5-95% bands over seeds.

The table is tidy: one row per (scenario, point, design parameters, origin,
date, indicator) with ``mean``, ``p05``, ``p95`` and ``runs`` (replicates that
finished), for every indicator of :data:`sim.indicators.REGISTRY` the runs
wrote. Origin ``all`` combines the three origins of each run by the registry's
rule (:func:`sim.indicators.combine_origins`: counts summed, rates weighted by
GDP or households) before the summary over replicates. Percentiles
interpolate linearly between replicates, so with two or three seeds they lie
close to the smallest and largest value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.batch import store
from sim.errors import InputError
from sim.indicators import REGISTRY, USD_MONTH, combine_origins, present

CHARTED = ("migrants_ru", "migrants_kz", "banned", "remittances_usd")  # the chart's national series
MAX_LINES = 8


def _group_keys(runs: pd.DataFrame) -> list[str]:
    skip = {"run_id", "replicate", "seed", "status", "error"}
    return [c for c in runs.columns if c not in skip]


def summary_table(results: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Means and 5-95% bands over replicates, by ``keys``, origin (and ``all``) and date."""
    names = present(results)
    by = ["run_id", *keys, "date"]
    national = combine_origins(results[[*by, "origin", *names]], by).assign(origin="all")
    frame = pd.concat([results[[*by, "origin", *names]], national], ignore_index=True)
    long = frame.melt(id_vars=[*by, "origin"], value_vars=names,
                      var_name="indicator", value_name="value").dropna(subset=["value"])  # fmt: skip
    grouped = long.groupby([*keys, "origin", "date", "indicator"], sort=True)["value"]
    table = pd.DataFrame({
        "mean": grouped.mean(),
        "p05": grouped.quantile(0.05),
        "p95": grouped.quantile(0.95),
        "runs": grouped.count().astype("int64"),
    }).reset_index()  # fmt: skip
    return table


def _label(row: pd.Series, parameters: list[str]) -> str:
    values = ", ".join(f"{p}={row[p]:.3g}" for p in parameters)
    return f"{row['scenario']} #{row['point']}" + (f" ({values})" if values else "")


def summary_chart(table: pd.DataFrame, parameters: list[str], path: Path, title: str) -> Path:
    """Time series with bands (few points) or final-month means against each parameter (many)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    national = table[table["origin"] == "all"]
    groups = national[["scenario", "point", *parameters]].drop_duplicates()
    many = len(groups) > MAX_LINES and parameters
    columns = parameters[:4] if many else list(CHARTED)
    fig, axes = plt.subplots(1, len(columns), figsize=(4.2 * len(columns), 3.6), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        if many:
            last = national[(national["indicator"] == "migrants_ru")
                            & (national["date"] == national["date"].max())]  # fmt: skip
            for scenario, part in last.groupby("scenario", sort=True):
                ax.scatter(part[column], part["mean"] / 1e3, s=12, label=scenario)
            ax.set_xlabel(column)
            ax.set_ylabel("migrants in Russia, last month (thousands)")
            continue
        part = national[national["indicator"] == column]
        usd = REGISTRY[column].unit == USD_MONTH
        scale, unit = (1e6, ", millions") if usd else (1e3, ", thousands")
        for _, group in groups.head(MAX_LINES).iterrows():
            rows = part[(part["scenario"] == group["scenario"]) & (part["point"] == group["point"])]
            line = ax.plot(rows["date"], rows["mean"] / scale, lw=1.2, label=_label(group, parameters))[0]
            ax.fill_between(rows["date"], rows["p05"] / scale, rows["p95"] / scale, alpha=0.2,
                            color=line.get_color(), lw=0)  # fmt: skip
        ax.set_title(REGISTRY[column].label_en + unit, fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=6)
    what = "last month, mean over seeds, all origins" if many else "mean and 5-95% band over seeds"
    fig.suptitle(f"{title}: {what}", fontsize=10)
    fig.tight_layout()
    from sim.results import atomic_write

    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
    return path


def summarize(directory: str | Path, out: str | Path | None = None) -> tuple[Path, Path]:
    """Write the summary table (``out``, default ``DIR/summary.parquet``) and ``.png`` beside it.

    Returns
    -------
    (Path, Path)
        The table and the chart.
    """
    from sim.results import read_state

    directory = Path(directory)
    if not (directory / "batch.json").is_file():
        raise InputError(f"{directory}: not a batch directory (no batch.json)")
    out = Path(out) if out is not None else directory / "summary.parquet"
    if out.suffix not in (".parquet", ".csv"):
        raise InputError(f"--out {out}: unknown format {out.suffix!r}; allowed: .parquet, .csv")
    runs = store.read_runs(directory)
    results = store.read_results(directory)
    keys = _group_keys(runs)
    parameters = [k for k in keys if k not in ("scenario", "point")]
    table = summary_table(results, keys)
    meta = read_state(directory / "batch.json", "batch identity")
    from sim.results import write_table

    write_table(table, out, {"batch_identity": meta["identity"], "spec": meta["spec"],
                             "runs_done": int(np.sum(runs["status"] == "done"))})  # fmt: skip
    chart = summary_chart(table, parameters, out.with_suffix(".png"), meta["batch"]["name"])
    return out, chart
