"""Observed targets: what the model is fitted to and validated against.

Every target row names its series, date, unit, observed value, how a run's
results map to it (``stat`` over ``column``), its kind (a level, a bound, a
band or a change) and its weight, with the source copied from
``sim/data/observed.csv``. The shipped table is ``calibration/data/targets.csv``;
:func:`build_targets` regenerates it (``python -m calibration.targets``).

Whether a row is fitted or held out depends only on its dates: a row belongs
to the fit set when its latest date (for an annual row, December of its year;
for a change, its end date) is not after ``fit_until``. With the default
``fit_until = 2014-12`` every row that touches 2015-2016 is validation.

Mappings (``stat``)
-------------------
annual_mean
    mean over the months of ``date``'s year of ``column`` (the World Bank
    measure for ``remittances_gdp_pct``; the mid-year stock for migrants).
month
    ``column`` in the month ``date`` (point-in-time counts: the seasonal cycle
    is on both sides).
change
    ``column(date) / column(base_date) - 1`` (relative change).
index
    annual sum of ``column`` in ``date``'s year over that in ``base_date``'s year.
quarter_change
    sum of ``column`` over the three months ending in ``date`` over the same
    sum ending in ``base_date``, minus 1 (a quarter on a year before).
male_share, kz_share
    share of men in, or share to Kazakhstan of, the year's departures
    (``departures_ru + departures_kz``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "targets.csv"
OBSERVED = Path(__file__).resolve().parents[1] / "sim" / "data" / "observed.csv"
COUNTRY = {"Tajikistan": "TJ", "Kyrgyzstan": "KG", "Uzbekistan": "UZ"}
ORIGINS = ("TJ", "KG", "UZ")
KINDS = ("level", "upper", "floor", "band", "change")
STATS = ("annual_mean", "month", "change", "index", "quarter_change", "male_share", "kz_share")
DEFAULT_FIT_UNTIL = "2021-12"
RECENT = OBSERVED.parent / "recent"
WDI_2025 = RECENT / "wdi_2025_vintage.csv"
COUNTS_2016_2021 = RECENT / "migrant_counts_flows_2016_2021.csv"
FIRST_YEAR, LAST_YEAR = 2010, 2021  # the calibration window
COLUMNS = [
    "id", "target", "origin", "series", "date", "base_date", "observed", "unit", "kind",
    "band_low", "stat", "column", "weight", "period", "obs_date", "indicator", "source",
    "source_url", "note",
]  # fmt: skip

# target -> weight of each of its series (one series per origin)
WEIGHTS = {
    "remit_gdp_pct": 1.0,
    "citizens_present": 0.5,
    "citizens_present_fall": 0.5,  # the two changes of an origin weigh as much as its remittances
    "citizens_present_2015_16": 0.5,
    "cbr_transfers_index": 0.5,
    "remit_usd_q4_change": 0.0,  # reported only: fitted, it did not help (docs/calibration.md)
    "undesa_floor": 0.25,
    "banned": 0.25,
    "departures_male_share": 0.25,
    "departures_kz_share": 0.25,
    "receiving_share": 0.0,
}
BAND_LOW = 0.75  # lower edge of the citizens-present band, as a share of the count


def read_observed(path: str | Path = OBSERVED) -> pd.DataFrame:
    """The project's copy of the public figures, with ``year`` as a nullable integer."""
    obs = pd.read_csv(path, dtype={"value": str, "year": str})
    obs["year"] = pd.to_numeric(obs["year"], errors="coerce").astype("Int64")
    return obs


def origin_rows(observed: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The rows of ``indicator`` for the three origins, with their ``origin`` code."""
    rows = observed[(observed["indicator"] == indicator) & observed["country"].isin(COUNTRY)]
    return rows.assign(origin=rows["country"].map(COUNTRY))


def _source(row: pd.Series) -> dict:
    return {
        "indicator": row["indicator"],
        "source": row["source"],
        "source_url": row["source_url_or_repo_path"],
    }


def _as_of(unit: str) -> str:
    match = re.search(r"as of (\d{4}-\d{2}-\d{2})", unit)
    if not match:
        raise ValueError(f"no 'as of' date in unit {unit!r}")
    return match.group(1)


def build_targets(observed_path: str | Path = OBSERVED) -> pd.DataFrame:
    """The target table, built from the project's copy of the public figures."""
    obs = read_observed(observed_path)
    out: list[dict] = []

    def add(target, origin, date, value, unit, kind, stat, column, src, base_date="",
            obs_date="", note="", band_low=BAND_LOW):  # fmt: skip
        out.append(dict(
            id=f"{target}:{origin}:{date}", target=target, origin=origin,
            series=f"{target}:{origin}", date=date, base_date=base_date, observed=float(value),
            unit=unit, kind=kind, band_low=band_low if kind == "band" else np.nan, stat=stat,
            column=column, weight=WEIGHTS[target], obs_date=obs_date or date, note=note, **src,
        ))  # fmt: skip

    # 1. WDI remittances, % of GDP: the 2025 vintage only (its GDP is the model's denominator)
    wdi = pd.read_csv(WDI_2025)
    iso = {"tjk": "TJ", "kgz": "KG", "uzb": "UZ"}
    share = wdi[(wdi["indicator_code"] == "bx_trf_pwkr_dt_gd_zs") & wdi["economy"].isin(iso)]
    for _, r in share.iterrows():
        if FIRST_YEAR <= int(r["year"]) <= LAST_YEAR:
            src = {
                "indicator": "BX.TRF.PWKR.DT.GD.ZS",
                "source": "World Bank WDI, 2025 vintage",
                "source_url": r["source"],
            }
            add("remit_gdp_pct", iso[r["economy"]], str(r["year"]), round(float(r["value"]), 4),
                "% of GDP", "level", "annual_mean", "remittances_gdp_pct", src,
                note="WDI 2025 vintage only (sim/data/recent/wdi_2025_vintage.csv); "
                     "GDP from the same file")  # fmt: skip

    # 2. Russian counts of citizens present: point-in-time, a band up to the count
    present = origin_rows(obs, "citizens_present_in_russia_fms").copy()
    present["as_of"] = present["unit"].map(_as_of)
    present["month"] = present["as_of"].str[:7]
    for _, r in present.iterrows():
        add("citizens_present", r["origin"], r["month"], r["value"], "persons", "band", "month",
            "migrants_ru", _source(r), obs_date=r["as_of"],
            note=f"upper bound of migrants present; lower edge {BAND_LOW:.0%} of the count "
                 "(labour_migrants_registered_in_russia_fms 2015 is ~95% of it for TJ and UZ)")  # fmt: skip

    # 2b. 2018-2021 counts (sim/data/recent/migrant_counts_flows_2016_2021.csv): the same band
    counts = pd.read_csv(COUNTS_2016_2021)
    counts = counts[counts["measure"].str.startswith("present_in_RU")]
    for _, r in counts.iterrows():
        period = str(r["period"])
        date, stat = (period[:7], "month") if len(period) > 4 else (period, "annual_mean")
        src = {"indicator": "citizens_present_in_russia", "source": r["measure"], "source_url": r["source"]}
        add("citizens_present", r["origin"], date, r["value"], "persons", "band", stat, "migrants_ru",
            src, obs_date=period,
            note=f"upper bound of migrants present; lower edge {BAND_LOW:.0%} of the count")  # fmt: skip

    # 3. changes of citizens present: 2013-10 -> 2016-04 (the fall), 2015-04 -> 2016-04
    level = present.set_index(["origin", "month"])
    for origin in ORIGINS:
        for target, base, end, what in (
            ("citizens_present_fall", "2013-10", "2016-04",
             "fall after the 2013 law and the 2014-15 rouble collapse"),
            ("citizens_present_2015_16", "2015-04", "2016-04",
             "KG rises after its EAEU accession (Aug 2015) while TJ and UZ fall"),
        ):  # fmt: skip
            b, e = level.loc[(origin, base)], level.loc[(origin, end)]
            change = float(e["value"]) / float(b["value"]) - 1
            add(target, origin, end, change, "relative change", "change",
                "change", "migrants_ru", _source(e), base_date=base,
                obs_date=f"{b['as_of']}..{e['as_of']}", note=what)  # fmt: skip

    # 4. CBR transfers Russia -> Tajikistan: a growth index (base 2011), not a level
    cbr = origin_rows(obs, "cbr_transfers_russia_to_origin_annual")
    cbr = cbr[cbr["origin"] == "TJ"].set_index("year")
    base = float(cbr.loc[2011, "value"])
    for year, r in cbr.iterrows():
        if year > 2011:
            add("cbr_transfers_index", "TJ", str(year), float(r["value"]) / base, "index (2011 = 1)",
                "level", "index", "remittances_usd", _source(r), base_date="2011",
                note="CBR transfers exceed the WDI total in 2013: used as growth only; the model's "
                     "total remittances (all destinations) stand in for those from Russia")  # fmt: skip

    # 4b. Tajik remittances in USD, Q4 2014 on Q4 2013: the one quarter of the rouble's fall
    q4 = origin_rows(obs, "remittances_growth_rub_q4")
    q4 = q4[q4["origin"] == "TJ"].iloc[0]
    usd = float(re.search(r"USD terms (-?[\d.]+)%", q4["unit"]).group(1)) / 100
    add("remit_usd_q4_change", "TJ", "2014-12", usd, "relative change", "change", "quarter_change",
        "remittances_usd", _source(q4), base_date="2013-12", obs_date="2014-Q4",
        note="USD terms (+7.6% in roubles); weight 0: reported, not fitted (fitted with "
             "remit_adjustment free, the 2014 window forecast 2015 worse: docs/calibration.md)")  # fmt: skip

    # 5. UN DESA stocks (foreign-born in Russia): a loose floor, TJ and UZ only
    desa = origin_rows(obs, "un_desa_bilateral_migrant_stock")
    desa = desa[(desa["partner"] == "Russia") & desa["origin"].isin(["TJ", "UZ"])]
    for _, r in desa.iterrows():
        if int(r["year"]) in (2010, 2015):
            add("undesa_floor", r["origin"], str(r["year"]), r["value"], "persons", "floor",
                "annual_mean", "migrants_ru", _source(r),
                note="foreign-born stock: a loose floor (KG's exceeds the Russian count)")  # fmt: skip

    # 6. the 2014 re-entry ban figures (as of 2014-09-23)
    total = obs[obs["indicator"] == "reentry_ban_stock_all_foreigners"].iloc[0]
    shares = origin_rows(obs, "reentry_ban_share").set_index("origin")
    for origin, kind in (("UZ", "level"), ("TJ", "upper")):
        r = shares.loc[origin]
        value = float(total["value"]) * float(r["value"]) / 100
        add("banned", origin, "2014-09", value, "persons", kind, "month", "banned", _source(r),
            obs_date="2014-09-23",
            note=f"{r['value']}% ('{'about' if kind == 'level' else 'up to'}') of more than "
                 f"{float(total['value']):,.0f} banned foreigners")  # fmt: skip

    # 7. Tajik departures 2016: share of men, share to Kazakhstan
    dep = origin_rows(obs, "labour_migrant_departures")
    dep = dep[dep["origin"] == "TJ"].set_index("partner")
    world = dep.loc["World"]
    women = float(re.search(r"incl\. ([\d,]+) women", world["unit"]).group(1).replace(",", ""))
    add(
        "departures_male_share",
        "TJ",
        "2016",
        1 - women / float(world["value"]),
        "share",
        "level",
        "male_share",
        "departures",
        _source(world),
        note="81,800 women of 517,300 departures",
    )
    # The share to Kazakhstan is a band: the ministry's count of departures (2.4%) is its lower
    # edge, the high end of the share of prospective Tajik migrants preferring Kazakhstan in the
    # World Bank's panel of the same months (3-5%) its upper edge (docs/calibration.md).
    kz = dep.loc["Kazakhstan"]
    counted = float(kz["value"]) / float(world["value"])
    preferred = origin_rows(obs, "share_prospective_migrants_preferring_destination_high")
    preferred = preferred[(preferred["origin"] == "TJ") & (preferred["partner"] == "Kazakhstan")].iloc[0]
    upper = float(preferred["value"]) / 100
    add(
        "departures_kz_share",
        "TJ",
        "2016",
        upper,
        "share",
        "band",
        "kz_share",
        "departures",
        _source(kz),
        note=f"band {counted:.1%}-{upper:.0%}: 12,400 to Kazakhstan of 517,300 departures (504,900 to "
        f"Russia) is the lower edge; {upper:.0%}, the high end of prospective migrants preferring "
        f"Kazakhstan ({preferred['source']}), the upper",
        band_low=counted / upper,
    )

    # 8. households receiving remittances (reported only: a survey month's transfer)
    recv = origin_rows(obs, "share_households_receiving_remittances_month").iloc[0]
    add(
        "receiving_share",
        "TJ",
        "2016-07",
        float(recv["value"]) / 100,
        "share",
        "level",
        "month",
        "receiving_share",
        _source(recv),
        note="weight 0: reported, not fitted (a transfer in the survey month, not in any month)",
    )

    table = pd.DataFrame(out)
    table["period"] = np.where(in_fit(table, DEFAULT_FIT_UNTIL), "fit", "validation")
    return table[COLUMNS]


def last_month(date: str) -> str:
    """The latest month a target date covers: ``"2014"`` -> ``"2014-12"``."""
    return date if len(date) == 7 else f"{date}-12"


def in_fit(targets: pd.DataFrame, fit_until: str) -> np.ndarray:
    """Boolean mask: rows whose every date is not after ``fit_until`` (``YYYY-MM``)."""
    from sim.months import parse_month

    parse_month(fit_until, "--fit-until")
    return np.array([last_month(str(d)) <= fit_until for d in targets["date"]], dtype=bool)


@lru_cache(maxsize=4)
def _read(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"date": str, "base_date": str}, keep_default_na=False,
                       na_values={"band_low": [""]})  # fmt: skip


def load_targets(path: str | Path = DATA) -> pd.DataFrame:
    """The shipped target table (a copy; see :data:`COLUMNS`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: targets file not found")
    table = _read(str(path)).copy()
    missing = sorted(set(COLUMNS) - set(table.columns))
    if missing:
        raise InputError(f"{path}: missing columns {', '.join(missing)}")
    return table


def fit_targets(fit_until: str = DEFAULT_FIT_UNTIL, path: str | Path = DATA) -> pd.DataFrame:
    """The rows fitted when calibrating on data up to ``fit_until``."""
    table = load_targets(path)
    return table[in_fit(table, fit_until)].reset_index(drop=True)


def horizon(targets: pd.DataFrame) -> str:
    """The last month a run must reach to compute every target in ``targets``."""
    return max(last_month(str(d)) for d in targets["date"])


def _annual(frame: pd.DataFrame, column: str, how: str) -> pd.Series:
    grouped = frame.assign(year=frame["date"].dt.year.astype(str)).groupby(["origin", "year"])
    return getattr(grouped[column], how)()


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the base is 0 (a run with nobody abroad scores as missing)."""
    return numerator / denominator if denominator != 0 else np.nan


def _quarter(monthly: pd.Series, origin: str, end: str) -> float:
    """Sum of a monthly series over the three months ending in ``end`` (NaN if any is missing)."""
    from sim.months import format_month, parse_month

    last = parse_month(end, "date")
    months = [(origin, format_month(m)) for m in range(last - 2, last + 1)]
    if not all(key in monthly.index for key in months):
        return np.nan
    return float(sum(monthly.loc[key] for key in months))


def simulate_targets(results, targets: pd.DataFrame) -> pd.Series:
    """The simulated counterpart of every target row, indexed by ``id``.

    Parameters
    ----------
    results : sim.results.Results
        A run covering every date of ``targets`` (see :func:`horizon`).
    targets : DataFrame
        Rows of :func:`load_targets`.

    Returns
    -------
    Series of float; NaN where the run does not cover a row's dates.
    """
    frame = results.frame
    monthly = frame.assign(month=frame["date"].dt.strftime("%Y-%m")).set_index(["origin", "month"])
    means = {c: _annual(frame, c, "mean") for c in set(targets["column"]) if c in frame.columns}
    sums = {"remittances_usd": _annual(frame, "remittances_usd", "sum")}
    dep = None
    if targets["stat"].isin(["male_share", "kz_share"]).any():
        by_sex = results.table(by=("sex",))
        by_sex = by_sex.assign(year=by_sex["date"].dt.year.astype(str),
                               dep=by_sex["departures_ru"] + by_sex["departures_kz"])  # fmt: skip
        dep = by_sex.groupby(["origin", "year", "sex"])[["dep", "departures_kz"]].sum()

    def get(table, key):
        try:
            return float(table.loc[key])
        except KeyError:
            return np.nan

    values = []
    for row in targets.itertuples(index=False):
        o, d, c = row.origin, str(row.date), row.column
        if row.stat == "annual_mean":
            v = get(means[c], (o, d))
        elif row.stat == "month":
            v = get(monthly[c], (o, d))
        elif row.stat == "change":
            v = _ratio(get(monthly[c], (o, d)), get(monthly[c], (o, str(row.base_date)))) - 1
        elif row.stat == "index":
            v = _ratio(get(sums[c], (o, d)), get(sums[c], (o, str(row.base_date))))
        elif row.stat == "quarter_change":
            v = _ratio(_quarter(monthly[c], o, d), _quarter(monthly[c], o, str(row.base_date))) - 1
        elif row.stat in ("male_share", "kz_share"):
            try:
                year = dep.loc[(o, d)]
            except KeyError:
                v = np.nan
            else:
                total = year["dep"].sum()
                part = year.loc["male", "dep"] if row.stat == "male_share" else year["departures_kz"].sum()
                v = part / total if total > 0 else np.nan
        else:
            raise InputError(f"targets: unknown stat {row.stat!r}; allowed: {', '.join(STATS)}")
        values.append(v)
    return pd.Series(values, index=targets["id"].to_numpy(), dtype=float)


def write_targets(path: str | Path = DATA) -> Path:
    """Rebuild ``targets.csv`` from ``sim/data/observed.csv``."""
    from sim.results import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = build_targets()
    atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))
    return path


if __name__ == "__main__":  # pragma: no cover
    import logging

    logging.basicConfig(level=logging.INFO)
    logging.getLogger(__name__).info("wrote %s", write_targets())
