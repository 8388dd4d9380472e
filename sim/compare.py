"""Side-by-side comparison of two scenarios with common random numbers.

Both scenarios are run as ensembles with the *same* member seeds (spawned
from one root seed), so member ``k`` of the base and member ``k`` of the
other scenario draw the same random numbers: until the first month in which
the scenarios differ their results are identical, and afterwards the
difference is the policy rather than the noise. The differences
``other - base`` are taken member by member, then summarised as a mean and a
5-95% band over members.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data import ORIGIN_NAMES, ORIGINS
from sim.defaults import MEMBER_HOUSEHOLDS
from sim.ensemble import Ensemble, member_bands, prepare, run_ensemble
from sim.errors import InputError
from sim.indicators import HOUSEHOLDS, PCT_GDP, PERSONS, REGISTRY, SHARE, USD_MONTH, USD_PERSON, annual
from sim.scenario import Scenario

log = logging.getLogger(__name__)

KEY_INDICATORS = ("migrants_ru", "migrants_kz", "banned", "remittances_usd", "vulnerable_returnees")


def _fmt(value: float, unit: str) -> str:
    """A signed difference in ``unit`` (:data:`sim.indicators.UNITS`)."""
    if not np.isfinite(value):
        return "n/a"
    if unit == USD_MONTH:
        return f"{value / 1e6:+,.1f} million"
    if unit == USD_PERSON:
        return f"{value:+,.2f}"
    if unit in (PCT_GDP, SHARE):
        return f"{value * (100.0 if unit == SHARE else 1.0):+.2f} points"
    if abs(value) >= 100:
        return f"{round(value, -2):+,.0f}".replace("+-", "-")
    return f"{value:+,.0f}"


def label_and_unit(name: str) -> tuple[str, str]:
    """An indicator's English label and unit (the name and persons for a column not in the registry)."""
    indicator = REGISTRY.get(name)
    return (indicator.label_en, indicator.unit) if indicator else (name, PERSONS)


def annual_members(members: pd.DataFrame) -> pd.DataFrame:
    """Yearly values per member: flows summed, stocks and rates averaged."""
    return annual(members, keys=("member", "year", "origin"))


def _differences(base: pd.DataFrame, other: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Member-by-member ``other - base`` on the rows both hold."""
    from sim.ensemble import indicator_columns

    columns = [c for c in indicator_columns(base, keys) if c in set(indicator_columns(other, keys))]
    index = ["member", *keys]
    left = base.set_index(index)[columns]
    right = other.set_index(index)[columns]
    common = left.index.intersection(right.index)
    if len(common) == 0:
        raise InputError("the two scenarios share no months; compare scenarios with overlapping horizons")
    diff = right.loc[common] - left.loc[common]
    return diff.reset_index()


@dataclass
class Comparison:
    """Two ensembles with common random numbers and their differences.

    Attributes
    ----------
    base, other : Ensemble
    differences : DataFrame
        Tidy: ``date``, ``origin``, ``indicator``, ``base_mean``,
        ``other_mean``, and ``mean``, ``p05``, ``p95`` of ``other - base``
        over members.
    first_difference : Timestamp or None
        The first month in which any member's results differ (None: identical).
    """

    base: Ensemble
    other: Ensemble
    differences: pd.DataFrame
    first_difference: pd.Timestamp | None
    metadata: dict = field(default_factory=dict)

    @property
    def band_kind(self) -> str:
        return self.base.band_kind

    @property
    def years(self) -> list[int]:
        return sorted(self.differences["date"].dt.year.unique().tolist())

    def yearly(self, year: int | None = None) -> pd.DataFrame:
        """Yearly differences (flows summed, stocks averaged) per origin and indicator.

        Columns: ``year``, ``origin``, ``indicator``, ``months``, ``base_mean``,
        ``other_mean``, ``mean``, ``p05``, ``p95``.
        """
        base = annual_members(self.base.members)
        other = annual_members(self.other.members)
        if year is not None:
            if year not in set(base["year"]) or year not in set(other["year"]):
                span = f"{self.years[0]}-{self.years[-1]}"
                raise InputError(f"--year {year}: outside the compared horizon {span}")
            base = base[base["year"] == year]
            other = other[other["year"] == year]
        months = base.groupby(["year", "origin"])["months"].first()
        diff = _differences(base.drop(columns="months"), other.drop(columns="months"), ("year", "origin"))
        table = member_bands(diff, by=("year", "origin"))
        means = _means(base, other, ("year", "origin"))
        table = table.merge(means, on=["year", "origin", "indicator"], how="left")
        index = pd.MultiIndex.from_frame(table[["year", "origin"]])
        table.insert(2, "months", months.reindex(index).to_numpy())
        order = ["year", "origin", "indicator", "months", "base_mean", "other_mean", "mean", "p05", "p95"]
        return table[order]

    def summary_lines(self, year: int | None = None, indicators: Sequence[str] = KEY_INDICATORS) -> list[str]:
        """Lines such as ``banned migrants, Tajikistan, 2030: -118,000 (5-95% band -130,000 to -105,000)``."""
        year = self.years[-1] if year is None else int(year)
        table = self.yearly(year)
        unknown = [name for name in indicators if name not in set(table["indicator"])]
        if unknown:
            allowed = ", ".join(sorted(set(table["indicator"])))
            raise InputError(f"indicator {unknown[0]!r}; allowed: {allowed}")
        k = len(self.base.seeds)
        lines = [
            f"{self.other.scenario_name} minus {self.base.scenario_name}, {year} "
            f"(stocks: average over the year; flows: year total); {k} members with common random "
            f"numbers; band: {self.band_kind}"
        ]
        months = int(table["months"].min())
        if months < 12:
            lines.append(f"note: {year} covers only {months} months of the run")
        for name in indicators:
            label, unit = label_and_unit(name)
            for origin in ORIGINS:
                row = table[(table["indicator"] == name) & (table["origin"] == origin)]
                if row.empty:
                    continue
                row = row.iloc[0]
                lines.append(
                    f"{label}, {ORIGIN_NAMES[origin]}, {year}: {_fmt(row['mean'], unit)} "
                    f"(5-95% band {_fmt(row['p05'], unit)} to {_fmt(row['p95'], unit)})"
                )
        return lines

    def write(self, path: str | Path) -> Path:
        """Write the monthly tidy differences as Parquet or CSV, with provenance."""
        from sim.results import write_table

        path = Path(path)
        write_table(self.differences, path, self.metadata)
        return path

    def chart(self, path: str | Path, indicators: Sequence[str] = KEY_INDICATORS) -> Path:
        """PNG: key indicators per origin, base against other, means with 5-95% bands."""
        return ensemble_chart(path, self.base, self.other, indicators, start=self._chart_start())

    def _chart_start(self) -> pd.Timestamp | None:
        if self.first_difference is None:
            return None
        return self.first_difference - pd.DateOffset(years=3)


def _means(base: pd.DataFrame, other: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Member means of both sides, tidy: keys, indicator, base_mean, other_mean."""
    from sim.ensemble import indicator_columns

    out = []
    for name, frame in (("base_mean", base), ("other_mean", other)):
        columns = indicator_columns(frame, keys)
        mean = frame.groupby(list(keys), sort=False)[columns].mean()
        out.append(mean.reset_index().melt(id_vars=list(keys), var_name="indicator", value_name=name))
    return out[0].merge(out[1], on=[*keys, "indicator"], how="outer")


def compare_ensembles(base: Ensemble, other: Ensemble) -> Comparison:
    """Compare two ensembles run with the same member seeds.

    Raises
    ------
    InputError
        If the member seeds differ (no common random numbers) or the horizons
        share no month.
    """
    if tuple(base.seeds) != tuple(other.seeds):
        raise InputError(
            "the two ensembles have different member seeds; run both with the same --seed and --seeds"
        )
    keys = ("date", "origin")
    diff = _differences(base.members, other.members, keys)
    values = diff.drop(columns=["member", *keys]).to_numpy(dtype=float)
    changed = np.any(np.nan_to_num(values) != 0.0, axis=1)
    first = pd.Timestamp(diff.loc[changed, "date"].min()) if changed.any() else None
    table = member_bands(diff, by=keys)
    table = table.merge(_means(base.members, other.members, keys), on=[*keys, "indicator"], how="left")
    table = table[["date", "origin", "indicator", "base_mean", "other_mean", "mean", "p05", "p95"]]
    metadata = {
        "comparison": {
            "base": base.metadata.get("scenario"),
            "other": other.metadata.get("scenario"),
            "difference": "other - base, member by member (common random numbers)",
            "band_kind": base.band_kind,
            "first_difference": None if first is None else first.strftime("%Y-%m"),
        },
        "ensemble": base.metadata.get("ensemble"),
        "code_version": base.metadata.get("code_version"),
        "data_vintage": base.metadata.get("data_vintage"),
    }
    return Comparison(base, other, table, first, metadata)


def common_until(base: Scenario, other: Scenario, until: str | None) -> str:
    """The last month both horizons cover (``until`` if given, validated against both)."""
    from sim.months import format_month, parse_month

    if base.start != other.start or base.spinup_months != other.spinup_months:
        raise InputError(
            f"{other.source}: starts {format_month(other.start)} with {other.spinup_months} spin-up months, "
            f"{base.source} {format_month(base.start)} with {base.spinup_months}; common random numbers "
            "need the same start and spin-up"
        )
    last = min(base.end, other.end)
    if until is None:
        return format_month(last)
    month = parse_month(until, "--until")
    if not base.start <= month <= last:
        raise InputError(f"--until {until}: outside the common horizon {format_month(base.start)} to "
                         f"{format_month(last)}")  # fmt: skip
    return until


def compare(
    base: str | Path | Scenario,
    other: str | Path | Scenario,
    seeds: int = 10,
    households: int = MEMBER_HOUSEHOLDS,
    seed: int = 0,
    until: str | None = None,
    engine: str = "numba",
    threads: int | None = None,
    parameter_draws=None,
    progress: Callable[[int, int], None] | None = None,
    **levers: float,
) -> Comparison:
    """Run ``base`` and ``other`` as ensembles with common random numbers and compare.

    Parameters
    ----------
    base, other : str, Path or Scenario
    seeds, households, seed, engine, threads, parameter_draws, **levers
        As for :func:`sim.ensemble.run_ensemble` (the same for both sides).
    until : str, optional
        Last month; default the last month both horizons cover.
    progress : callable, optional
        ``progress(done, total)`` over both ensembles.

    Returns
    -------
    Comparison
    """
    base_s = prepare(base)
    other_s = prepare(other)
    until = common_until(base_s, other_s, until)

    def side(offset: int):
        def tick(done: int, total: int) -> None:
            if progress is not None:
                progress(offset * total + done, 2 * total)

        return tick

    common = dict(seeds=seeds, seed=seed, households=households, until=until, engine=engine,
                  threads=threads, parameter_draws=parameter_draws)  # fmt: skip
    base_e = run_ensemble(base_s, progress=side(0), **common, **levers)
    other_e = run_ensemble(other_s, progress=side(1), **common, **levers)
    return compare_ensembles(base_e, other_e)


def ensemble_chart(
    path: str | Path,
    base: Ensemble,
    other: Ensemble | None = None,
    indicators: Sequence[str] = KEY_INDICATORS,
    start: pd.Timestamp | None = None,
) -> Path:
    """PNG grid (indicators x origins): member means with 5-95% bands, base grey, other coloured."""
    from sim.charts import COLOURS, _figure

    plt = _figure()
    path = Path(path)
    rows, cols = len(indicators), len(ORIGINS)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.3 * rows + 0.8), squeeze=False,
                             constrained_layout=True, sharex=True)  # fmt: skip
    sides = [(base, "#777777", base.scenario_name or "base")]
    if other is not None:
        sides.append((other, None, other.scenario_name or "other"))
    for r, name in enumerate(indicators):
        label, unit = label_and_unit(name)
        scale, suffix = {USD_MONTH: (1e6, "million"), PERSONS: (1e3, "thousand"),
                         HOUSEHOLDS: (1e3, "thousand")}.get(unit, (1, ""))  # fmt: skip
        for c, origin in enumerate(ORIGINS):
            ax = axes[r][c]
            for ensemble, colour, side_label in sides:
                rows_ = ensemble.summary[(ensemble.summary["indicator"] == name)
                                         & (ensemble.summary["origin"] == origin)]  # fmt: skip
                if start is not None:
                    rows_ = rows_[rows_["date"] >= start]
                colour = colour or COLOURS[origin]
                ax.plot(rows_["date"], rows_["mean"] / scale, color=colour, lw=1.2, label=side_label)
                ax.fill_between(rows_["date"], rows_["p05"] / scale, rows_["p95"] / scale,
                                color=colour, alpha=0.25, lw=0)  # fmt: skip
            if r == 0:
                ax.set_title(ORIGIN_NAMES[origin])
            if c == 0:
                ax.set_ylabel(f"{label}" + (f"\n{suffix}" if suffix else ""), fontsize=8)
            ax.tick_params(labelsize=7)
            if r == 0 and c == cols - 1:
                ax.legend(fontsize=7)
    title = base.scenario_name if other is None else f"{other.scenario_name} against {base.scenario_name}"
    fig.suptitle(f"{title}: mean and 5-95% band over {len(base.seeds)} members ({base.band_kind})",
                 fontsize=10)  # fmt: skip
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
