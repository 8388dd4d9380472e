"""The indicators: declared once in :data:`REGISTRY`, turned from kernel counters into results tables.

The kernel counts simulated persons (members) and integer cents per month and
indicator cell (region x sex). Here they are summed over the requested key
(origin, and optionally region and sex), scaled to the real population by the
origin's weight (real households per simulated household in that month), and
turned into the tidy table of ``docs/model.md``.

Every results column is one :class:`Indicator` of :data:`REGISTRY`: where it
comes from, its kind and unit, its English and Russian labels, and how it
combines over the months of a year (:func:`annual`) and over origins
(:func:`combine_origins`). Every consumer (comparisons, batch summaries, the
CLI, attribution lines, the dashboards) reads it from there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from sim import kernels as k
from sim.errors import InputError

KINDS = ("stock", "flow", "rate")
PERSONS, HOUSEHOLDS = "persons", "households"
USD_MONTH, USD_PERSON = "USD per month", "USD per person"
PCT_GDP, SHARE = "% of GDP", "share"
UNITS = (PERSONS, HOUSEHOLDS, USD_MONTH, USD_PERSON, PCT_GDP, SHARE)
# How a rate combines over origins; counts (persons, households, USD) are summed.
ACROSS = ("sum", "households", "gdp")
# How far observed data constrain an indicator (docs/model.md, "Grading"): words in English and Russian
GRADES = {
    "target": ("fitted to data", "подогнан к данным"),
    "partly observed": ("a few observed points", "есть отдельные наблюдения"),
    "assumption": ("assumption-driven", "на допущениях, без данных"),
    "input": ("an input", "входные данные"),
}


@dataclass(frozen=True)
class Phrase:
    """How a plain-words sentence names the indicator of one origin (:mod:`sim.attribution.report`).

    Attributes
    ----------
    en : str
        English, after the origin's adjective ("Tajik {en} rose by ...").
    ru : str
        Russian, with ``{to}`` (accusative) or ``{of}`` (genitive) of the origin.
    ru_rose, ru_fell : str
        "rose" and "fell" in Russian, agreeing with the noun of ``ru``.
    """

    en: str
    ru: str
    ru_rose: str
    ru_fell: str


@dataclass(frozen=True)
class Indicator:
    """One results column: where it comes from, what it measures and how it combines.

    Attributes
    ----------
    name : str
        The column name.
    kind : str
        ``"stock"`` (a state at the end of the month), ``"flow"`` (the month's
        events or money) or ``"rate"`` (a ratio within the row). Over the
        months of a year flows are summed, stocks and rates averaged
        (:attr:`over_year`).
    unit : str
        One of :data:`UNITS`.
    label_en, label_ru : str
        Labels in lower case (tables, charts, lines of the CLI and the dashboards).
    source : str
        How the column is computed from the kernel's counters (``MIG_RU x weight``).
    definition : str
        What the column measures, in words (the indicator table of
        ``docs/model.md`` is generated from these: ``python -m sim.params_doc``).
    counter : int, optional
        Kernel counter (``sim.kernels``). Alone: a count scaled to the
        population (counter x weight); with ``per``: the ratio
        ``counter / per`` within the row's simulated households, unscaled.
    per : int, optional
        Denominator counter of a ratio.
    cents : bool
        The counter counts US cents (divided by 100).
    recorded : bool
        Times the share the official statistics record (remittances).
    gdp_share_of : str, optional
        A rate: this column (USD per month) annualised as % of the origin's GDP.
    household_level : bool
        Counted once per household (in the first cell of its region): NaN in a breakdown by sex or age.
    across : str
        How the origins of a row combine (:func:`combine_origins`): ``"sum"``
        (counts); ``"households"``: the mean weighted by ``households``;
        ``"gdp"``: the sum of ``gdp_share_of`` over the sum of the origins' GDP.
    phrase : Phrase, optional
        Words for sentences; default :meth:`words`.
    grade : str
        One of :data:`GRADES`: how far observed data constrain the indicator
        (``docs/model.md``, "Grading"; a test checks the two agree).
    """

    name: str
    kind: str
    unit: str
    label_en: str
    label_ru: str
    source: str
    counter: int | None = None
    per: int | None = None
    cents: bool = False
    recorded: bool = False
    gdp_share_of: str | None = None
    household_level: bool = False
    across: str = "sum"
    phrase: Phrase | None = None
    grade: str = "assumption"
    definition: str = ""

    def __post_init__(self) -> None:
        where = f"indicator {self.name!r}"
        if self.kind not in KINDS or self.unit not in UNITS or self.across not in ACROSS:
            raise ValueError(f"{where}: kind in {KINDS}, unit in {UNITS}, across in {ACROSS}")
        if self.grade not in GRADES:
            raise ValueError(f"{where}: grade {self.grade!r}; allowed: {', '.join(GRADES)}")
        if not (self.label_en and self.label_ru and self.source and self.definition):
            raise ValueError(f"{where}: needs label_en, label_ru, source and definition")
        derived = self.gdp_share_of is not None
        if (self.counter is None) != derived or (self.per is not None and derived):
            raise ValueError(f"{where}: give a counter (and optionally per) or gdp_share_of")
        if (self.kind == "rate") == (self.across == "sum") or (self.across == "gdp") != derived:
            raise ValueError(f"{where}: rates combine over origins by weight, counts by sum")

    @property
    def over_year(self) -> str:
        """How the months of a year combine: ``"sum"`` for flows, ``"mean"`` for stocks and rates."""
        return "sum" if self.kind == "flow" else "mean"

    @property
    def percent(self) -> bool:
        """A percentage or share: its differences are percentage points."""
        return self.unit in (PCT_GDP, SHARE)

    @property
    def to_percent(self) -> float:
        """Factor to show the value in percent (100 for a share, else 1)."""
        return 100.0 if self.unit == SHARE else 1.0

    @property
    def weight_columns(self) -> tuple[str, ...]:
        """The columns :func:`combine_origins` needs besides this one to combine origins."""
        return {"sum": (), "households": ("households",), "gdp": (self.gdp_share_of,)}[self.across]

    def label(self, lang: str = "en") -> str:
        """The label in ``lang`` (``"en"`` or ``"ru"``)."""
        return self.label_ru if lang == "ru" else self.label_en

    def grade_words(self, lang: str = "en") -> str:
        """The grade in words, for chart titles (``"fitted to data"``, ``"assumption-driven"``, ...)."""
        return GRADES[self.grade][1 if lang == "ru" else 0]

    def words(self) -> Phrase:
        """Words for sentences: :attr:`phrase`, or the labels in a neutral frame."""
        if self.phrase is not None:
            return self.phrase
        return Phrase(self.label_en, f"показатель «{self.label_ru}» для {{of}}", "вырос", "снизился")


_NUMBER = ("выросло", "снизилось")  # verbs agreeing with "число ..." (the number of ...)
# fmt: off
_ENTRIES = (
    Indicator("migrants_ru", "stock", PERSONS, "migrants in Russia", "мигранты в России",
              "MIG_RU x weight", counter=k.MIG_RU,
              phrase=Phrase("migrants in Russia", "число мигрантов из {of} в России", *_NUMBER),
              grade="target",
              definition="members located in Russia"),
    Indicator("migrants_kz", "stock", PERSONS, "migrants in Kazakhstan", "мигранты в Казахстане",
              "MIG_KZ x weight", counter=k.MIG_KZ,
              phrase=Phrase("migrants in Kazakhstan", "число мигрантов из {of} в Казахстане", *_NUMBER),
              definition="members located in Kazakhstan"),
    Indicator("departures_ru", "flow", PERSONS, "departures to Russia", "выезды в Россию",
              "DEP_RU x weight", counter=k.DEP_RU, grade="partly observed",
              definition="moves home -> Russia"),
    Indicator("departures_kz", "flow", PERSONS, "departures to Kazakhstan", "выезды в Казахстан",
              "DEP_KZ x weight", counter=k.DEP_KZ, grade="partly observed",
              definition="moves home -> Kazakhstan"),
    Indicator("returns", "flow", PERSONS, "returns", "возвращения",
              "RETURNS x weight", counter=k.RETURNS,
              grade="partly observed",
              definition="moves home from abroad: voluntary returns (including switches of destination) and"
                         " removals from Russia and Kazakhstan"),
    Indicator("irregular_ru", "stock", PERSONS, "irregular migrants in Russia",
              "работают в России без документов",
              "IRREG_RU x weight", counter=k.IRREG_RU,
              definition="members in Russia working irregularly"),
    Indicator("banned", "stock", PERSONS, "banned migrants", "люди с запретом въезда в Россию",
              "BANNED x weight", counter=k.BANNED,
              phrase=Phrase("people with a re-entry ban", "число граждан {of} с запретом въезда", *_NUMBER),
              grade="partly observed",
              definition="members with a standing Russian re-entry ban, wherever they are"),
    Indicator("banned_unaware", "stock", PERSONS, "banned migrants unaware of their ban",
              "мигранты с запретом въезда, не знающие о нём",
              "BANNED_UNAWARE x weight",
              counter=k.BANNED_UNAWARE,
              definition="members with a standing ban their household does not know of"),
    Indicator("denied_entry", "flow", PERSONS, "migrants denied entry", "мигранты, не допущенные на въезд",
              "DENIED x weight", counter=k.DENIED,
              definition="members turned back at the Russian border (unknown ban)"),
    Indicator("removals", "flow", PERSONS, "removals", "выдворения",
              "REMOVED x weight",
              counter=k.REMOVED, grade="partly observed",
              definition="detections in Russia (each with a ban) plus removals from Kazakhstan (no ban)"),
    Indicator("vulnerable_returnees", "stock", PERSONS, "vulnerable returnees",
              "уязвимые вернувшиеся мигранты",
              "VULNERABLE x weight",
              counter=k.VULNERABLE,
              definition="members at home who are returnees, banned, jobless this month and have few "
                         "contacts abroad (7.10)"),
    Indicator("remittances_usd", "flow", USD_MONTH, "remittances received, USD",
              "полученные денежные переводы, долл. США",
              "REMIT_CENTS / 100 x weight x recorded share",
              counter=k.REMIT_CENTS, cents=True, recorded=True,
              phrase=Phrase("remittances", "денежные переводы в {to}", "выросли", "снизились"),
              grade="target",
              definition="money received from members in Russia and Kazakhstan, after transfer costs, as "
                         "recorded by the official series (Uzbek amounts before 2017-09 times "
                         "`uz_recorded_share`, from 2017 over `uz_series_share`, 7.14)"),
    Indicator("remittances_gdp_pct", "rate", PCT_GDP, "remittances, % of GDP", "денежные переводы, % ВВП",
              "100 x 12 x remittances_usd / GDP of the month's year",
              gdp_share_of="remittances_usd", across="gdp",
              phrase=Phrase("remittances as a share of GDP", "доля переводов в ВВП {of}",
                            "выросла", "снизилась"), grade="target",
              definition="the month's remittances annualised, as % of the origin's GDP in current USD of "
                         "that calendar year; the mean of a full year equals the year's remittances as % of "
                         "its GDP (the WDI measure)"),
    Indicator("income_per_capita_usd", "rate", USD_PERSON, "income per person, USD a month",
              "доход на человека, долл. США в месяц",
              "INCOME_CENTS / 100 / PERSONS (household level)",
              counter=k.INCOME_CENTS, per=k.PERSONS, cents=True, household_level=True, across="households",
              definition="household income (other income + home wages + all remittances received, recorded "
                         "or not - lost fares) / persons, per month"),
    Indicator("poverty_rate", "rate", SHARE, "poverty rate", "уровень бедности",
              "POOR_HOUSEHOLDS / HOUSEHOLDS (household level)",
              counter=k.POOR_HOUSEHOLDS, per=k.HOUSEHOLDS, household_level=True, across="households",
              definition="households with income below `poverty_line_usd * size` / all households"),
    Indicator("receiving_share", "rate", SHARE, "share of households receiving remittances",
              "доля домохозяйств, получающих переводы",
              "RECEIVING / HOUSEHOLDS (household level)",
              counter=k.RECEIVING, per=k.HOUSEHOLDS, household_level=True, across="households",
              grade="partly observed",
              definition="households receiving any remittance this month / households"),
    Indicator("households", "stock", HOUSEHOLDS, "households", "домохозяйства",
              "HOUSEHOLDS x weight (household level)", counter=k.HOUSEHOLDS, household_level=True,
              grade="input",
              definition="households, scaled to the population"),
)
# fmt: on
# Every results column, in the order of the results table (read-only)
REGISTRY: Mapping[str, Indicator] = MappingProxyType({indicator.name: indicator for indicator in _ENTRIES})

INDICATORS = tuple(REGISTRY)
# results column -> kernel counter, for the counts of persons (the Mesa DataCollector's national totals)
PERSON_COLUMNS = {i.name: i.counter for i in _ENTRIES if i.unit == PERSONS}
KEYS = ("region", "sex", "status", "age")
SEXES = ("male", "female")
# Households with and without a member banned from Russia at the start of a chosen month (the
# model's ``status_month``), fixed from then on.
STATUSES = ("no_banned_member", "banned_member")
# Members' age groups (``sim.population.AGE_GROUP_SHARES``; a member keeps its group for the run).
AGE_GROUPS = ("18-29", "30-44", "45-59")
# Keys a run has only when it is split by them (the model's ``status_month`` and ``age_groups``).
SPLITS = ("status", "age")
_HOW_TO_SPLIT = {  # what a split is called, and how a run gets it
    "status": ("ban status", "a status month: migsim run --status-month, or migsim attribute --by status"),
    "age": (
        "age group",
        "migsim run --by age, migsim attribute --by age, or MigrationModel(age_groups=True)",
    ),
}


@dataclass(frozen=True)
class CellLayout:
    """Where a member's counts go: one indicator cell per region, sex and, if split, status and age.

    Cell ``((age * n_status + status) * n_regions + region) * 2 + sex``. A
    run that is not split by status (age) has one status (age) level and
    counts everyone in it; household-level counters sit in the cell of sex
    0 and age 0.
    """

    n_regions: int
    splits: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [key for key in self.splits if key not in SPLITS]
        if unknown:
            raise ValueError(f"splits {unknown}; allowed: {', '.join(SPLITS)}")

    @property
    def n_status(self) -> int:
        return len(STATUSES) if "status" in self.splits else 1

    @property
    def n_age(self) -> int:
        return len(AGE_GROUPS) if "age" in self.splits else 1

    @property
    def n_cells(self) -> int:
        return 2 * self.n_regions * self.n_status * self.n_age

    @property
    def status_offset(self) -> int:
        """Added to a household's cell base when it joins the ``banned_member`` group."""
        return 2 * self.n_regions

    @property
    def age_stride(self) -> int:
        """Cells between two age groups (0 when not split: everyone counts in the first)."""
        return 2 * self.n_regions * self.n_status if "age" in self.splits else 0

    def labels(self, regions: pd.DataFrame) -> pd.DataFrame:
        """Origin, region, sex, status and age of every cell, in cell order."""
        per_region = 2 * self.n_regions
        repeats = self.n_status * self.n_age
        return pd.DataFrame(
            {
                "origin": np.tile(np.repeat(regions["origin"].to_numpy(), 2), repeats),
                "region": np.tile(np.repeat(regions["region"].to_numpy(), 2), repeats),
                "sex": np.tile(SEXES, self.n_regions * repeats),
                "status": np.tile(np.repeat(STATUSES[: self.n_status] if self.n_status > 1 else ("all",),
                                            per_region), self.n_age),
                "age": np.repeat(AGE_GROUPS[: self.n_age] if self.n_age > 1 else ("all",),
                                 per_region * self.n_status),
            }
        )  # fmt: skip


def _groups(
    layout: CellLayout, regions: pd.DataFrame, by: tuple[str, ...]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Group labels and the cell -> group membership matrix."""
    for key in SPLITS:
        if key in by and key not in layout.splits:
            what, how = _HOW_TO_SPLIT[key]
            raise InputError(f"--by {key}: this run was not split by {what}; allowed: region, sex and the "
                             f"splits of the run ({key} needs {how})")  # fmt: skip
    cells = layout.labels(regions)
    keys = ["origin", *[key for key in KEYS if key in by]]
    labels = cells[keys].drop_duplicates().reset_index(drop=True)
    index = cells.merge(labels.reset_index(), on=keys, how="left")["index"].to_numpy()
    member = np.zeros((len(cells), len(labels)), dtype=np.int64)
    member[np.arange(len(cells)), index] = 1
    return labels, member


def _column(indicator: Indicator, grouped: np.ndarray, w: np.ndarray, gdp: np.ndarray,
            recorded: np.ndarray | None, done: dict[str, np.ndarray]) -> np.ndarray:  # fmt: skip
    """One indicator, ``(n_months, n_groups)``, from the grouped counters and the columns ``done``."""
    if indicator.gdp_share_of is not None:
        return done[indicator.gdp_share_of] * 12.0 / gdp * 100.0
    values = grouped[:, :, indicator.counter]
    if indicator.cents:
        values = values / 100.0
    if indicator.per is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            return values / grouped[:, :, indicator.per]
    values = values * w
    if indicator.recorded and recorded is not None:
        values = values * recorded
    return values


def build_frame(
    cells: np.ndarray,
    regions: pd.DataFrame,
    weights: np.ndarray,
    gdp_usd: np.ndarray,
    dates: pd.DatetimeIndex,
    by: tuple[str, ...] = (),
    recorded_share: np.ndarray | None = None,
    splits: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The monthly results table: keys, then every indicator of :data:`REGISTRY`.

    Parameters
    ----------
    cells : ndarray(int64, (n_months, n_cells, N_INDICATORS))
    regions : DataFrame
        :func:`sim.population.regions` (the cells' order: :class:`CellLayout`).
    weights, gdp_usd : ndarray(float64, (n_months, 3))
        Real households per simulated household; GDP of the month's year.
    dates : DatetimeIndex
        First day of each month.
    by : tuple of str
        Extra keys from :data:`KEYS` (``status`` and ``age`` only for a run split by them).
    recorded_share : ndarray(float64, (n_months, 3)), optional
        Share of the remittances sent that the official statistics record
        (measurement, not behaviour: ``remittances_usd`` and
        ``remittances_gdp_pct`` are as recorded; household income counts
        all that was sent). Default 1.
    splits : tuple of str
        The :data:`SPLITS` the run's cells have (:class:`CellLayout`).
    """
    from sim.data import ORIGINS

    labels, member = _groups(CellLayout(len(regions), tuple(splits)), regions, by)
    grouped = np.einsum("tck,cg->tgk", cells, member)  # int64, exact
    origin_index = labels["origin"].map(ORIGINS.index).to_numpy()
    w = weights[:, origin_index]  # (T, G)
    gdp = gdp_usd[:, origin_index]
    recorded = None if recorded_share is None else recorded_share[:, origin_index]
    n_months, n_groups = w.shape
    out = {
        "date": np.repeat(dates.to_numpy(), n_groups),
        **{key: np.tile(labels[key].to_numpy(), n_months) for key in labels.columns},
    }
    done: dict[str, np.ndarray] = {}
    for name, indicator in REGISTRY.items():
        done[name] = _column(indicator, grouped, w, gdp, recorded, done)
        out[name] = done[name].ravel()
    frame = pd.DataFrame(out)
    if "sex" in by or "age" in by:
        # household-level counters sit in the cell of men aged 18-29: not a breakdown by sex or age
        frame.loc[:, [i.name for i in _ENTRIES if i.household_level]] = np.nan
    return frame


def present(frame: pd.DataFrame) -> list[str]:
    """The indicators of :data:`REGISTRY` that ``frame`` holds, in registry order."""
    return [name for name in REGISTRY if name in frame.columns]


def annual(frame: pd.DataFrame, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Yearly aggregates: flows summed, stocks and rates averaged (:attr:`Indicator.over_year`).

    ``remittances_gdp_pct`` is averaged, which for a full year equals the
    year's remittances as a percentage of its GDP (the World Bank measure).
    ``months`` says how many months of the year the run covered.

    Parameters
    ----------
    frame : DataFrame
        Monthly rows with ``date`` and indicator columns.
    keys : sequence of str, optional
        The group keys, ``year`` among them (default ``year`` and whichever of
        origin and the :data:`KEYS` the frame holds).
    """
    if keys is None:
        keys = ["year", *[c for c in ("origin", *KEYS) if c in frame.columns]]
    frame = frame.assign(year=frame["date"].dt.year)
    groups = frame.groupby(list(keys), sort=False)
    out = groups.agg({name: REGISTRY[name].over_year for name in present(frame)})
    out["months"] = groups.size()
    return out.reset_index()


def combinable(frame: pd.DataFrame) -> list[str]:
    """The indicators of ``frame`` that :func:`combine_origins` combines (a rate needs its weights)."""
    return [n for n in present(frame) if all(c in frame.columns for c in REGISTRY[n].weight_columns)]


def implied_gdp(frame: pd.DataFrame, indicator: Indicator) -> pd.Series:
    """GDP read back from a share of GDP and its amount (0 where the share is 0 or missing).

    ``12 * 100 * amount / share``: the origin's GDP on a monthly frame; on a
    yearly frame (amount summed, share averaged) the GDP times the months
    covered, the same factor for every origin of the year.
    """
    share = frame[indicator.name]
    return (frame[indicator.gdp_share_of] * 12.0 * 100.0 / share.where(share > 0)).fillna(0.0)


def combine_origins(frame: pd.DataFrame, keys: Sequence[str], sort: bool = False) -> pd.DataFrame:
    """The registry's indicators of ``frame`` combined over the rows of each ``keys`` group (the origins).

    The one rule for "all origins", by :attr:`Indicator.across`:

    - counts (persons, households, USD per month) are summed;
    - ``remittances_gdp_pct``: the origins' remittances over their GDP
      (``12 * 100 * sum(remittances_usd) / sum(GDP)``, each origin's GDP read
      back by :func:`implied_gdp`), i.e. the mean weighted by GDP;
    - ``poverty_rate`` and ``receiving_share`` (shares of households): the
      mean weighted by ``households``, i.e. all poor (receiving) households
      over all households;
    - ``income_per_capita_usd``: also weighted by ``households`` (the
      results hold no count of persons), so it is the mean over households
      of each origin's income per person; it equals the income of all
      persons over all persons only where the origins' mean household sizes
      are equal.

    Groups whose values are all missing (household-level columns by sex)
    stay missing. A rate whose weight is not in ``frame`` (``households``,
    or ``remittances_usd`` for ``remittances_gdp_pct``) is left out
    (:func:`combinable`).

    Returns
    -------
    DataFrame
        ``keys`` and the combined indicators, in registry order.
    """
    names = combinable(frame)
    parts = {}  # what is summed per group: the counts, and the amount and weight of each rate
    for name in names:
        indicator = REGISTRY[name]
        if indicator.across == "sum":
            parts[name] = frame[name]
        elif indicator.across == "gdp":
            parts[f"{name} amount"] = frame[indicator.gdp_share_of]
            parts[f"{name} weight"] = implied_gdp(frame, indicator)
        else:
            weight = frame["households"].where(frame[name].notna())
            parts[f"{name} amount"] = frame[name] * weight
            parts[f"{name} weight"] = weight
    work = pd.DataFrame({**{key: frame[key] for key in keys}, **parts})
    sums = work.groupby(list(keys), sort=sort)[list(parts)].sum(min_count=1)
    out = {}
    for name in names:
        across = REGISTRY[name].across
        if across == "sum":
            out[name] = sums[name]
        elif across == "gdp":
            gdp = sums[f"{name} weight"]
            out[name] = sums[f"{name} amount"] * 12.0 * 100.0 / gdp.where(gdp > 0)
        else:
            out[name] = sums[f"{name} amount"] / sums[f"{name} weight"]
    return pd.DataFrame(out).reset_index()
