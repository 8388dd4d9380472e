"""Access to the public figures shipped in ``sim/data/``.

``observed.csv`` is a copy of the team's collection of public figures, one
figure a row with its source; ``driver_anchors.csv`` lists the yearly anchor
points of the driver series (wages, fees) and, for each, whether it was
observed, converted from an observed figure, or assumed.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pandas as pd

from sim.errors import InputError

DATA_DIR = Path(__file__).with_name("data")
OBSERVED_CSV = DATA_DIR / "observed.csv"
ANCHORS_CSV = DATA_DIR / "driver_anchors.csv"
RECENT_DIR = DATA_DIR / "recent"
WDI_CSV = RECENT_DIR / "wdi_2025_vintage.csv"
RUB_MONTHLY_CSV = RECENT_DIR / "rub_usd_monthly_2016_2023.csv"
ROSSTAT_MONTHLY_CSV = RECENT_DIR / "russia_labour_market_monthly_2008_2017.csv"
ROSSTAT_ANNUAL_CSV = RECENT_DIR / "russia_labour_market_annual_2008_2017.csv"
RUSSIA_DRIVERS_CSV = RECENT_DIR / "russia_drivers_2016_2025.csv"
WDI_VINTAGE = "WDI 2025 vintage (open-numbers ddf--world_bank--world_development_indicators@0f0d096)"
ISO3 = {"TJ": "tjk", "KG": "kgz", "UZ": "uzb", "RU": "rus", "KZ": "kaz"}

ORIGINS = ("TJ", "KG", "UZ")
ORIGIN_NAMES = {"TJ": "Tajikistan", "KG": "Kyrgyzstan", "UZ": "Uzbekistan"}
COUNTRY_CODES = {
    "Tajikistan": "TJ",
    "Kyrgyzstan": "KG",
    "Uzbekistan": "UZ",
    "Russia": "RU",
    "Kazakhstan": "KZ",
}


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: data file missing; reinstall migsim or restore the file")
    try:
        return pd.read_csv(path, dtype={"year": str, "value": str})
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({exc})") from None


@functools.cache
def observed() -> pd.DataFrame:
    """All observed figures (strings in ``year`` and ``value`` as published)."""
    return _read_csv(OBSERVED_CSV)


@functools.cache
def anchors() -> pd.DataFrame:
    """Yearly anchor points of the driver series with their basis."""
    frame = _read_csv(ANCHORS_CSV)
    frame["year"] = frame["year"].astype(int)
    frame["value"] = frame["value"].astype(float)
    return frame


def series(indicator: str, country: str, partner: str | None = None) -> dict[int, float]:
    """A yearly numeric series ``{year: value}`` from ``observed.csv``.

    Rows whose year is not a plain year (ranges) are skipped; where a year has
    several rows the first one is kept.
    """
    frame = observed()
    rows = frame[(frame["indicator"] == indicator) & (frame["country"] == country)]
    if partner is not None:
        rows = rows[rows["partner"].fillna("") == partner]
    out: dict[int, float] = {}
    for year, value in zip(rows["year"], rows["value"], strict=True):
        if str(year).isdigit() and int(year) not in out:
            out[int(year)] = float(value)
    if not out:
        raise InputError(f"{OBSERVED_CSV}: no rows for indicator {indicator!r}, {country!r}")
    return out


@functools.cache
def _wdi_frame() -> pd.DataFrame:
    frame = _read_csv(WDI_CSV)
    frame["year"] = frame["year"].astype(int)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame.dropna(subset=["value"])


def wdi(code: str, country: str) -> dict[int, float]:
    """A yearly series ``{year: value}`` of the one WDI vintage the model uses.

    Parameters
    ----------
    code : str
        The WDI indicator in the file's spelling, e.g. ``"ny_gdp_mktp_cd"``
        (GDP, current USD), ``"pa_nus_fcrf"`` (official exchange rate, LCU per
        USD), ``"bx_trf_pwkr_cd_dt"`` (personal remittances received, USD).
    country : str
        Origin or destination code (``TJ``, ``KG``, ``UZ``, ``RU``, ``KZ``).
    """
    frame = _wdi_frame()
    rows = frame[(frame["indicator_code"] == code) & (frame["economy"] == ISO3[country])]
    if rows.empty:
        raise InputError(f"{WDI_CSV}: no rows for indicator_code {code!r}, economy {ISO3[country]!r}")
    return dict(zip(rows["year"], rows["value"], strict=True))


@functools.cache
def rub_per_usd_monthly() -> dict[int, float]:
    """Monthly average roubles per dollar ``{month number: value}``, 2008-02 to 2023-12.

    2016-2023: means of the Central Bank's official daily rates. 2008-2015:
    the mean of the end-of-month rates of the month and the month before
    (Rosstat's short-term indicators), the nearest the shipped data come to a
    monthly average.
    """
    out: dict[int, float] = {}
    eop = _read_csv(ROSSTAT_MONTHLY_CSV).dropna(subset=["RUR_USD_eop"])
    months = [int(d[:4]) * 12 + int(d[5:7]) - 1 for d in eop["date"]]
    values = eop["RUR_USD_eop"].astype(float).to_list()
    for k in range(1, len(months)):
        if months[k] < 2016 * 12:
            out[months[k]] = 0.5 * (values[k] + values[k - 1])
    cbr = _read_csv(RUB_MONTHLY_CSV)
    for text, value in zip(cbr["month"], cbr["rub_per_usd_mean_of_official_daily"], strict=True):
        out[int(text[:4]) * 12 + int(text[5:7]) - 1] = float(value)
    return out


@functools.cache
def rub_per_usd_annual_after_monthly() -> dict[int, float]:
    """Annual average roubles per dollar for the years after the monthly series (2024-2025)."""
    out = {year: value for year, value in wdi("pa_nus_fcrf", "RU").items() if year >= 2024}
    rows = _read_csv(RUSSIA_DRIVERS_CSV)
    for period, value in zip(rows["period"], rows["indicator"] + "|" + rows["value"], strict=True):
        name, number = value.split("|")
        if name == "rub_per_usd_annual_avg" and str(period).isdigit():
            out.setdefault(int(period), float(number))
    return out


# Russian consumer prices after the data end: the Central Bank's 4% target (assumption)
PRICE_GROWTH_AFTER_DATA = 0.04


@functools.cache
def russian_price_index() -> dict[int, float]:
    """Russian consumer price level by year, 2008 = 1 (annual points; used to hold real values).

    2009-2017: the wage deflator, nominal wage growth over real wage growth
    (Rosstat, ``russia_labour_market_annual_2008_2017.csv``). 2018-2024: CPI
    December over December (``russia_drivers_2016_2025.csv``). 2025: the
    nominal wage anchor's growth over the 4.5% real wage growth stated for
    2025 (an inference). From 2026: :data:`PRICE_GROWTH_AFTER_DATA` a year
    (assumption), to 2200.
    """
    annual = _read_csv(ROSSTAT_ANNUAL_CSV)
    index = {2008: 1.0}
    nominal = dict(zip(annual["year"].astype(int), annual["WAGE_NOMINAL_rub_kep"].astype(float), strict=True))
    real = dict(zip(annual["year"].astype(int), annual["WAGE_REAL_yoy_minikep"].astype(float), strict=True))
    for year in range(2009, 2018):
        index[year] = index[year - 1] * nominal[year] / nominal[year - 1] / (real[year] / 100.0)
    rows = _read_csv(RUSSIA_DRIVERS_CSV)
    cpi = rows[rows["indicator"].str.startswith("cpi_dec_over_dec")]
    growth = {int(period): float(value) for period, value in zip(cpi["period"], cpi["value"], strict=True)}
    for year in range(2018, 2025):
        index[year] = index[year - 1] * (1.0 + growth[year] / 100.0)
    wages = anchors()[(anchors()["variable"] == "wage_ru_rub") & (anchors()["country"] == "RU")]
    wage = dict(zip(wages["year"], wages["value"].astype(float), strict=True))
    index[2025] = index[2024] * wage[2025] / wage[2024] / 1.045
    for year in range(2026, 2201):
        index[year] = index[year - 1] * (1.0 + PRICE_GROWTH_AFTER_DATA)
    return index


def vintage() -> str:
    """Identity of the data shipped: WDI vintage and a digest of the files."""
    digest = hashlib.sha256()
    for path in (OBSERVED_CSV, ANCHORS_CSV, *sorted(RECENT_DIR.glob("*.csv"))):
        digest.update(path.read_bytes())
    return f"{WDI_VINTAGE}; data sha256 {digest.hexdigest()[:12]}"
