"""What drove a change: Shapley attribution of an indicator's change to factors.

``attribute(scenario, "2013", "2015", ...)`` answers "of the fall in Tajik
remittances from 2013 to 2015, how much came from the bans and how much from
the rouble?" (docs/attribution.md). The modules:

- :mod:`sim.attribution.holds`: a scenario with factors held from a month on;
- :mod:`sim.attribution.shapley`: exact and sampled Shapley values;
- :mod:`sim.attribution.core`: the runs (common random numbers, resumable) and the table;
- :mod:`sim.attribution.report`: waterfall charts and plain-words lines (English, Russian).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.attribution import banlaw, core, report
from sim.defaults import MEMBER_HOUSEHOLDS
from sim.errors import InputError

__all__ = ["Attribution", "attribute"]

DEFAULT_HOUSEHOLDS = MEMBER_HOUSEHOLDS
DEFAULT_SEEDS = 5


@dataclass
class Attribution:
    """An attribution's table (``attribution.csv``), the scenario's levels and the request.

    ``ban_law`` is the bans' total effect (:mod:`sim.attribution.banlaw`), or
    None when the re-entry bans are not among the factors or the scenario has no ban law.
    """

    table: pd.DataFrame
    levels: pd.DataFrame
    request: core.Request
    ban_law: pd.DataFrame | None = None

    def lines(self, lang: str = "en") -> list[str]:
        """One plain-words line per indicator and origin (whole-origin rows)."""
        out = []
        for indicator in self.request.indicators:
            for origin in self.table["origin"].unique():
                level0 = float(self.levels.loc[("t0", origin, "all"), indicator])
                out.append(
                    report.sentence(self.table, indicator, origin, self.request.window.labels, level0, lang)
                )
        if self.ban_law is not None:
            indicator, year = self.request.indicators[0], self.request.window.labels[1]
            for origin in self.table["origin"].unique():
                out.append(report.ban_law_sentence(self.ban_law, indicator, origin, year, lang))
        return out

    def write(self, out: Path) -> list[Path]:
        """Write ``attribution.csv``, waterfall PNGs and the lines (``summary_en.txt``, ``_ru.txt``)."""
        from sim.results import atomic_write

        written = [out / "attribution.csv"]
        atomic_write(written[0], lambda tmp: self.table.to_csv(tmp, index=False, float_format="%.6g"))
        for indicator in self.request.indicators:
            for origin in self.table["origin"].unique():
                path = out / f"waterfall_{indicator}_{origin}.png"
                report.waterfall(self.table, indicator, origin, self.request.window.labels, path)
                written.append(path)
        if self.ban_law is not None:
            path = out / "ban_law_total.csv"
            atomic_write(path, lambda tmp: self.ban_law.to_csv(tmp, index=False, float_format="%.6g"))
            written.append(path)
        for lang in ("en", "ru"):
            path = out / f"summary_{lang}.txt"
            text = "\n".join(self.lines(lang)) + "\n"
            atomic_write(path, lambda tmp, text=text: tmp.write_text(text, encoding="utf-8"))
            written.append(path)
        return written


def _members(seeds: int, seed: int, posterior: str | Path | None) -> tuple[tuple[int, dict], ...]:
    from sim.ensemble import member_seeds, posterior_draws

    roots = member_seeds(seed, seeds)
    draws = posterior_draws(posterior, seeds, seed) if posterior is not None else [{}] * seeds
    return tuple(zip(roots, draws, strict=True))


def _check_settings(out: Path, settings: dict) -> None:
    """A folder holds one attribution: resuming with other settings is refused."""
    from sim.results import atomic_write, read_state

    path = out / "settings.json"
    text = json.dumps(settings, sort_keys=True, default=str)
    if path.exists():
        if json.dumps(read_state(path, "attribution settings"), sort_keys=True, default=str) != text:
            raise InputError(f"--out {out}: holds an attribution with other settings ({path}); use another "
                             "--out, or the same command to resume")  # fmt: skip
        return
    atomic_write(path, lambda tmp: tmp.write_text(text))


def attribute(
    scenario,
    start: str,
    end: str,
    indicators: Sequence[str] = core.DEFAULT_INDICATORS,
    factors: Sequence[str] | None = None,
    by: Sequence[str] = (),
    seeds: int = DEFAULT_SEEDS,
    seed: int = 0,
    posterior: str | Path | None = None,
    households: int = DEFAULT_HOUSEHOLDS,
    out: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 0,
    scheduler: str | None = None,
) -> Attribution:
    """Split the change of indicators from ``start`` to ``end`` into factor contributions.

    Parameters
    ----------
    scenario : str, Path or Scenario
    start, end : str
        Two years (``"2013"``, annual totals) or two months (``"2013-06"``).
    indicators : sequence of str
        Results columns (``sim.indicators.INDICATORS``).
    factors : sequence of str, optional
        Factors to split over (:data:`sim.registry.FACTORS`). Default: every
        factor whose holding changes the scenario before ``end``. Factors not
        chosen act in every run, so their effect is inside ``drift``.
    by : sequence of str
        Breakdowns (``region``, ``sex``, ``status``); rows for each cell
        besides ``all``. ``status`` groups households by whether a member is
        banned from Russia at the start of the first period, and keeps them
        there in every counterfactual.
    seeds : int
        Ensemble members; each has its own seed (and parameter draw).
    posterior : str or Path, optional
        A ``posterior.parquet``: members also differ in calibrated parameters.
    households : int
        Simulated households per run.
    out : str or Path, optional
        Folder for the runs (resumable) and, with :meth:`Attribution.write`,
        the outputs. Default: a temporary folder.
    progress : callable, optional
        ``progress(runs_done, runs_total)``.
    workers, scheduler : int, str, optional
        With ``workers`` > 1 (a loopback Dask cluster) or a scheduler address
        or file, the coalition runs go to Dask; the numbers do not depend on
        it. Default: one process.

    Returns
    -------
    Attribution
        ``table`` has columns ``indicator, origin, group, factor,
        contribution, p05, p95, total_change``: for every indicator, origin
        and group, ``total_change`` = ``drift`` + the factors' contributions
        (+ ``gdp_denominator`` for the share of GDP), to rounding.
        Contributions are means over members; ``p05``, ``p95`` their 5% and
        95% quantiles over members.
    """
    from sim.model import check_households, check_seed, resolve_scenario
    from sim.results import folder_lock

    resolved = resolve_scenario(scenario)
    window = core.parse_window(start, end, resolved)
    chosen = tuple(factors) if factors is not None else ()
    core.check_choices(tuple(indicators), chosen, tuple(by))
    check_seed(seed)
    check_households(households)
    if factors is None:
        chosen = tuple(core.active_factors(resolved, window))
    if not chosen:
        raise InputError("--factors: no factor changes anything in this window; nothing to split")
    members = _members(seeds, seed, posterior)
    request = core.Request(resolved, window, chosen, tuple(indicators), tuple(by), members, households)
    if out is None:
        with tempfile.TemporaryDirectory(prefix="migsim-attribute-") as folder:
            return _attribute(request, Path(folder), progress, workers, scheduler)
    with folder_lock(out, "attribution") as folder:
        _check_settings(folder, request.settings())
        return _attribute(request, folder, progress, workers, scheduler)


def _attribute(
    request: core.Request, folder: Path, progress, workers: int = 0, scheduler=None
) -> Attribution:
    tables = core.run_all(request, folder, progress, workers, scheduler)
    result = Attribution(core.decompose(request, tables), core.levels(request, tables), request)
    if "reentry_bans" in request.factors and banlaw.applies(request):
        result.ban_law = banlaw.total_effect(request, folder, workers=workers, scheduler=scheduler)
    return result
