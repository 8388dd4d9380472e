"""Split an indicator's change between two periods into the factors that caused it.

For every member of an ensemble (a seed, and with a posterior a parameter
draw) the scenario is run once per coalition of the chosen factors, with the
factors outside the coalition held (:mod:`sim.attribution.holds`). All runs of
a member share its seed (common random numbers), so seed noise cancels
between coalitions. A coalition's value is the indicator's change from the
first period to the second; the Shapley values of the factors
(:mod:`sim.attribution.shapley`) and the change with every chosen factor held
(``drift``) add up to the change in the scenario itself.

Remittances are decomposed as sent, then scaled to what the official series
records in the second period; where the way the series is measured changes
between the periods (the Uzbek series from 2017), that change is its own
accounting row (``measurement``). Remittances as a share of GDP are
decomposed in dollars, each dollar contribution divided by the second
period's GDP; the change of the GDP denominator is its own accounting row
(``gdp_denominator``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.attribution import shapley
from sim.attribution.holds import held_scenario
from sim.errors import InputError
from sim.indicators import INDICATORS, KEYS
from sim.months import format_month, parse_month
from sim.registry import FACTORS
from sim.scenario import Scenario

DEFAULT_INDICATORS = ("remittances_usd", "remittances_gdp_pct", "migrants_ru", "migrants_kz")
SHARE = "remittances_gdp_pct"
DRIFT = "drift"
GDP_ROW = "gdp_denominator"
MEASUREMENT_ROW = "measurement"
SENT = "remittances_sent_usd"  # period-table column: remittances before the official series' measurement
DEFAULT_ORDERINGS = 64  # sampled orderings above shapley.MAX_EXACT_FACTORS factors


@dataclass(frozen=True)
class Window:
    """The two periods compared: whole years (annual totals) or single months."""

    first: tuple[int, int]  # first and last month of the first period
    second: tuple[int, int]
    labels: tuple[str, str]

    @property
    def annual(self) -> bool:
        return self.first[0] != self.first[1]

    @property
    def hold_month(self) -> int:
        """The last month of actual values: held factors keep it from the first period on."""
        return self.first[0] - 1


def _period(text: str, option: str) -> tuple[int, int, str]:
    text = str(text).strip()
    if re.fullmatch(r"\d{4}", text):
        return int(text) * 12, int(text) * 12 + 11, text
    month = parse_month(text, option)
    return month, month, format_month(month)


def parse_window(start: str, end: str, scenario: Scenario) -> Window:
    """Check ``--from`` and ``--to`` (both years or both months, in order, inside the scenario)."""
    a0, a1, label0 = _period(start, "--from")
    b0, b1, label1 = _period(end, "--to")
    if (a0 == a1) != (b0 == b1):
        raise InputError(
            f"--from {start} --to {end}: give two years (2013, 2015) or two months (2013-06, 2015-06)"
        )
    if b0 <= a1:
        raise InputError(f"--to {end} must come after --from {start}")
    if a0 - 1 < scenario.start or b1 > scenario.end:
        raise InputError(
            f"--from {start} --to {end}: allowed periods from {format_month(scenario.start + 1)} to "
            f"{format_month(scenario.end)} (the scenario's horizon; the month before --from is held)"
        )
    return Window((a0, a1), (b0, b1), (label0, label1))


def check_choices(indicators: Sequence[str], factors: Sequence[str], by: Sequence[str]) -> None:
    """One line for an unknown indicator, factor or breakdown key."""
    for name in indicators:
        if name not in INDICATORS:
            raise InputError(f"--indicators {name!r}; allowed: {', '.join(INDICATORS)}")
    for name in factors:
        if name not in FACTORS:
            raise InputError(f"--factors {name!r}; allowed: {', '.join(FACTORS)}")
    if len(set(factors)) != len(factors):
        raise InputError("--factors: a factor is named twice")
    for key in by:
        if key not in KEYS:
            raise InputError(f"--by {key!r}; allowed: {', '.join(KEYS)}")


def _inputs(scenario: Scenario) -> list[np.ndarray]:
    """Everything a run takes from its scenario: the month table, recorded shares and driver series."""
    from sim.timeline import compile_timeline

    timeline = compile_timeline(scenario)
    drivers = [np.asarray(getattr(timeline.drivers, name)) for name in timeline.drivers.series_names()]
    return [timeline.table, timeline.recorded_share, *drivers]


def active_factors(scenario: Scenario, window: Window) -> list[str]:
    """The factors whose holding changes the scenario's inputs before the window's end.

    A factor that changes nothing has a Shapley value of exactly zero, so it is
    left out of the runs and of the table.
    """
    cut = scenario.with_end(window.second[1])
    actual = _inputs(cut)

    def changes(factor: str) -> bool:
        held = _inputs(held_scenario(cut, {factor}, window.hold_month))
        return not all(np.array_equal(a, b, equal_nan=True) for a, b in zip(actual, held, strict=True))

    return [factor for factor in FACTORS if changes(factor)]


def _label(row: pd.Series, by: Sequence[str]) -> str:
    return ";".join(f"{key}={row[key]}" for key in by)


def period_table(results, window: Window, by: Sequence[str]) -> pd.DataFrame:
    """One run's indicators in the two periods: rows (period, origin, group), indicator columns."""
    from dataclasses import replace

    as_sent = replace(results, recorded_share=None, _frame=None)
    frames = []
    for keys in ((), tuple(by)) if by else ((),):
        table = results.table(keys, annual_totals=window.annual)
        table[SENT] = as_sent.table(keys, annual_totals=window.annual)["remittances_usd"].to_numpy()
        if window.annual:
            when = table["year"] * 12
        else:
            when = table["date"].dt.year * 12 + table["date"].dt.month - 1
        table = table.assign(group=table.apply(_label, axis=1, by=keys) if keys else "all")
        for period, (first, _) in zip(("t0", "t1"), (window.first, window.second), strict=True):
            rows = table[when == first]
            frames.append(rows.assign(period=period)[["period", "origin", "group", *INDICATORS, SENT]])
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Request:
    """Everything that fixes an attribution's numbers (stored as ``settings.json``)."""

    scenario: Scenario
    window: Window
    factors: tuple[str, ...]
    indicators: tuple[str, ...]
    by: tuple[str, ...]
    members: tuple[tuple[int, dict], ...]  # (seed, parameter draw) per member
    households: int
    orderings: int = DEFAULT_ORDERINGS

    def settings(self) -> dict:
        return {
            "scenario": self.scenario.describe(),
            "from": self.window.labels[0],
            "to": self.window.labels[1],
            "factors": list(self.factors),
            "by": list(self.by),
            "members": [[seed, draw] for seed, draw in self.members],
            "households": self.households,
            "orderings": self.orderings,
        }

    def plan(self) -> tuple[list[frozenset], Callable]:
        return shapley.plan(self.factors, self.orderings, seed=self.members[0][0])


def run_key(member: int, coalition: frozenset) -> str:
    """File name of one member's run for one coalition (the factors that act)."""
    digest = hashlib.sha256(",".join(sorted(coalition)).encode()).hexdigest()[:10]
    return f"m{member:03d}-{len(coalition):02d}-{digest}.parquet"


def simulate(
    request: Request, member: int, scenario: Scenario, by: Sequence[str], overrides=None
) -> pd.DataFrame:
    """Run ``scenario`` (cut at the window's end) as member ``member``; its two periods' indicators.

    The member's seed and parameter draw are used, with ``overrides`` on top.
    """
    from sim.api import run

    seed, draw = request.members[member]
    scenario = scenario.with_end(request.window.second[1])
    # households are grouped by ban status at the start of the first period, where every coalition
    # still shares one history (the factors are held from then on), so the groups are the same in each
    status_month = format_month(request.window.first[0]) if "status" in by else None
    results = run(scenario, households=request.households, seed=seed, status_month=status_month,
                  age_groups="age" in by, **{**draw, **(overrides or {})})  # fmt: skip
    return period_table(results, request.window, by)


def stored(path: Path, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The table in ``path`` if a finished run left it there, else ``make()`` written there whole."""
    from sim.results import atomic_write

    if path.is_file():
        return pd.read_parquet(path)
    table = make()
    atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))
    return table


def run_coalition(request: Request, member: int, coalition: frozenset) -> pd.DataFrame:
    """Simulate one member with only ``coalition`` acting; its two periods' indicators."""
    held = frozenset(request.factors) - coalition
    return simulate(
        request, member, held_scenario(request.scenario, held, request.window.hold_month), request.by
    )


def run_all(
    request: Request,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 0,
    scheduler: str | None = None,
) -> dict:
    """Run (or reuse, when resuming) every member and coalition; their period tables by key.

    The runs go through :func:`run_jobs` (on Dask with ``workers`` > 1 or a
    ``scheduler``).
    """
    runs = out / "runs"
    runs.mkdir(exist_ok=True)
    coalitions, _ = request.plan()
    tasks = [(m, c) for m in range(len(request.members)) for c in coalitions]
    jobs = [(runs / run_key(m, c), run_coalition, (request, m, c)) for m, c in tasks]
    return dict(zip(tasks, run_jobs(jobs, workers, scheduler, progress), strict=True))


Job = tuple[Path, Callable[..., pd.DataFrame], tuple]  # (file, function, its arguments)


def run_jobs(jobs: Sequence[Job], workers: int = 0, scheduler: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> list[pd.DataFrame]:  # fmt: skip
    """Each job's table: read from its file if a finished run left it there, else made and written.

    With ``workers`` > 1 or a ``scheduler``, the jobs whose file is missing go
    to Dask (:func:`sim.batch.cluster.dask_client`), each task writing its own
    file; the tables are then read back in order, so the result is the same
    whoever ran them, and a rerun resumes from the files.
    """
    pending = [job for job in jobs if not job[0].is_file()]
    on_dask = bool(pending) and (workers > 1 or bool(scheduler))
    if on_dask:
        before = len(jobs) - len(pending)

        def ran(n: int) -> None:
            if progress is not None:
                progress(before + n, len(jobs))

        _run_on_dask(pending, workers, scheduler, ran)
    tables = []
    for done, job in enumerate(jobs):
        tables.append(_store(*job))
        if progress is not None and not on_dask:  # Dask reported its runs as they finished
            progress(done + 1, len(jobs))
    return tables


def _store(path: Path, make: Callable[..., pd.DataFrame], args: tuple) -> pd.DataFrame:
    """One job: the table in ``path``, or ``make(*args)`` written there (also the Dask task)."""
    return stored(path, lambda: make(*args))


def _run_on_dask(jobs: Sequence[Job], workers: int, scheduler: str | None,
                 done: Callable[[int], None]) -> None:  # fmt: skip
    """Run ``jobs`` on Dask, each writing its file; ``done(n)`` after each finished one."""
    from dask.distributed import as_completed

    from sim.batch.cluster import dask_client

    with dask_client(workers, scheduler) as client:
        # the task returns nothing: the table stays on disk, not shipped back from the worker
        futures = [client.submit(_write_only, *job, pure=False) for job in jobs]
        try:
            for n, future in enumerate(as_completed(futures), start=1):
                future.result()  # a failed run raises here, with its own error
                done(n)
        finally:
            for future in futures:
                future.cancel()


def _write_only(path: Path, make: Callable[..., pd.DataFrame], args: tuple) -> None:
    _store(path, make, args)


def _change(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    keyed = table.set_index(["period", "origin", "group"])[columns]
    return keyed.loc["t1"] - keyed.loc["t0"]


def decompose(request: Request, tables: dict) -> pd.DataFrame:
    """The attribution table from the runs (see :func:`sim.attribution.attribute` for its columns)."""
    _, shapley_of = request.plan()
    flows = [i for i in request.indicators if i != SHARE]
    if SHARE in request.indicators and "remittances_usd" not in flows:
        flows.append("remittances_usd")
    acting = frozenset(request.factors)
    per_member = []  # one frame per member: rows (indicator, origin, group, factor)
    for m in range(len(request.members)):
        values = {c: _change(_as_sent(table), flows) for (member, c), table in tables.items() if member == m}
        index = values[acting].index
        rows = {
            DRIFT: values[frozenset()].to_numpy(),
            **shapley_of({c: v.to_numpy() for c, v in values.items()}),
        }
        if "remittances_usd" in flows:
            rows = _as_recorded(rows, tables[m, acting], index, flows.index("remittances_usd"))
        frame = _long(rows, _change(tables[m, acting], flows).to_numpy(), index, flows)
        if SHARE in request.indicators:
            frame = pd.concat([frame, _share_rows(rows, index, flows, tables[m, acting])], ignore_index=True)
        per_member.append(frame.assign(member=m))
    stacked = pd.concat(per_member, ignore_index=True)
    stacked = stacked[stacked["indicator"].isin(request.indicators)]
    measured = stacked["factor"] == MEASUREMENT_ROW
    scale = stacked.groupby("indicator")["total_change"].transform(lambda x: x.abs().max())
    if not (stacked["contribution"].abs() > 1e-9 * scale)[measured].any():
        stacked = stacked[~measured]  # no change of measurement in the window: floating-point dust only
    else:
        stacked = stacked[~measured | stacked["indicator"].isin(["remittances_usd", SHARE])]
    grouped = stacked.groupby(["indicator", "origin", "group", "factor"], sort=False)
    out = grouped.agg(contribution=("contribution", "mean"), total_change=("total_change", "mean"))
    out["p05"] = grouped["contribution"].quantile(0.05)
    out["p95"] = grouped["contribution"].quantile(0.95)
    return out.reset_index()[COLUMNS]


COLUMNS = ["indicator", "origin", "group", "factor", "contribution", "p05", "p95", "total_change"]


def _as_sent(table: pd.DataFrame) -> pd.DataFrame:
    """A period table with remittances as sent, before the official series' measurement."""
    return table.assign(remittances_usd=table[SENT])


def _as_recorded(rows: dict, actual: pd.DataFrame, index: pd.MultiIndex, column: int) -> dict:
    """Scale the remittance contributions from sent to recorded; add the ``measurement`` row.

    With ``S`` the remittances sent, ``R`` those the series records and
    ``rho = R / S`` in each period, ``R1 - R0 = rho1 (S1 - S0) + S0 (rho1 - rho0)``:
    the first term splits like the money sent (every row times ``rho1``),
    the second is the change of measurement.
    """
    keyed = actual.set_index(["period", "origin", "group"]).sort_index()
    sent0, sent1 = (keyed.loc[p, SENT].reindex(index).to_numpy(dtype=float) for p in ("t0", "t1"))
    rec0, rec1 = (keyed.loc[p, "remittances_usd"].reindex(index).to_numpy(dtype=float) for p in ("t0", "t1"))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho0 = np.where(sent0 > 0, rec0 / sent0, 1.0)
        rho1 = np.where(sent1 > 0, rec1 / sent1, 1.0)
    out = {}
    for factor, value in rows.items():
        value = value.copy()
        value[:, column] *= rho1
        out[factor] = value
    measurement = np.zeros_like(next(iter(rows.values())))
    measurement[:, column] = sent0 * (rho1 - rho0)
    out[MEASUREMENT_ROW] = measurement
    return out


def _long(rows: dict, total: np.ndarray, index: pd.MultiIndex, flows: list[str]) -> pd.DataFrame:
    """Rows (origin, group, indicator, factor) from arrays (origin x group, indicator) per factor."""
    totals = pd.DataFrame(total, index=index, columns=flows).stack()
    frames = []
    for factor, value in rows.items():
        frame = pd.DataFrame(value, index=index, columns=flows).stack().rename("contribution").reset_index()
        frame.columns = ["origin", "group", "indicator", "contribution"]
        frames.append(frame.assign(factor=factor, total_change=totals.to_numpy()))
    return pd.concat(frames, ignore_index=True)


def _share_rows(rows: dict, index: pd.MultiIndex, flows: list[str], actual: pd.DataFrame) -> pd.DataFrame:
    """Share-of-GDP rows: dollar contributions over the second period's GDP, plus the GDP row.

    With ``G`` the GDP each period's share was measured against and ``R`` the
    scenario's remittances, ``R1/G1 - R0/G0 = (R1 - R0)/G1 + R0 (1/G1 - 1/G0)``:
    the first term splits like the dollars, the second is ``gdp_denominator``.
    """
    mask = index.get_level_values("group") == "all"
    origins = index.get_level_values("origin")[mask]
    keyed = actual[actual["group"] == "all"].set_index(["period", "origin"])

    def at(period: str, column: str) -> np.ndarray:
        return keyed.loc[period, column].reindex(origins).to_numpy(dtype=float)

    usd0, usd1, pct0, pct1 = (
        at("t0", "remittances_usd"),
        at("t1", "remittances_usd"),
        at("t0", SHARE),
        at("t1", SHARE),
    )
    gdp0, gdp1 = usd0 / (pct0 / 100.0), usd1 / (pct1 / 100.0)
    column = flows.index("remittances_usd")
    values = {factor: value[mask, column] / gdp1 * 100.0 for factor, value in rows.items()}
    values[GDP_ROW] = usd0 * (1.0 / gdp1 - 1.0 / gdp0) * 100.0
    frames = [pd.DataFrame({"origin": origins, "group": "all", "indicator": SHARE, "factor": factor,
                            "contribution": value, "total_change": pct1 - pct0})
              for factor, value in values.items()]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def levels(request: Request, tables: dict) -> pd.DataFrame:
    """The scenario's own values in the two periods, mean over members, by (period, origin, group)."""
    acting = frozenset(request.factors)
    frames = [tables[m, acting] for m in range(len(request.members))]
    mean = pd.concat(frames).groupby(["period", "origin", "group"], sort=False)[list(INDICATORS)].mean()
    return mean
