"""What an attribution says: waterfall charts and plain-words lines in English and Russian."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.attribution.core import DRIFT, GDP_ROW, MEASUREMENT_ROW
from sim.data import ORIGIN_NAMES
from sim.indicators import HOUSEHOLDS, PCT_GDP, PERSONS, REGISTRY, SHARE, USD_MONTH, USD_PERSON, Indicator
from sim.registry import FACTOR_LABELS

LABELS = {
    DRIFT: ("drift (momentum, seasonality)", "инерция (тенденции, сезонность)"),
    GDP_ROW: ("the change of GDP (denominator)", "изменение ВВП (знаменатель)"),
    MEASUREMENT_ROW: ("the change in how the series is measured", "изменение методики учёта"),
    **FACTOR_LABELS,
}
ORIGIN_WORDS = {  # English adjective, Russian accusative, Russian genitive
    "TJ": ("Tajik", "Таджикистан", "Таджикистана"),
    "KG": ("Kyrgyz", "Кыргызстан", "Кыргызстана"),
    "UZ": ("Uzbek", "Узбекистан", "Узбекистана"),
}
# unit -> divide by this to show the value (USD in millions, shares in percentage points), axis title
SCALES = {USD_MONTH: (1e6, "USD million"), PCT_GDP: (1.0, "percentage points"),
          SHARE: (0.01, "percentage points"), USD_PERSON: (1.0, "USD per person"),
          PERSONS: (1.0, "persons"), HOUSEHOLDS: (1.0, "households")}  # fmt: skip


def _number(value: float, unit: str, lang: str) -> str:
    """A value without its unit: USD in millions, points to one decimal, USD a person in cents, else whole."""
    shown = value / SCALES[unit][0]
    if unit in (PCT_GDP, SHARE):
        text = f"{shown:.1f}"
    elif unit == USD_PERSON:
        text = f"{shown:,.2f}"
    else:
        text = f"{shown:,.0f}"
    return text if lang == "en" else text.replace(",", " ").replace(".", ",")


def _amount(value: float, unit: str, lang: str) -> str:
    """A value with its unit (USD million, percentage points, USD, persons)."""
    number = _number(value, unit, lang)
    if unit == USD_MONTH:
        return f"USD {number} m" if lang == "en" else f"{number} млн долл."
    if unit in (PCT_GDP, SHARE):
        return f"{number} points" if lang == "en" else f"{number} п. п."
    if unit == USD_PERSON:
        return f"USD {number}" if lang == "en" else f"{number} долл."
    return number


def _subject(indicator: Indicator, origin: str, lang: str) -> str:
    """The indicator of one origin as a sentence names it ("Tajik remittances", "денежные переводы в ...")."""
    words = indicator.words()
    if lang == "en":
        return f"{ORIGIN_WORDS[origin][0]} {words.en}"
    return words.ru.format(to=ORIGIN_WORDS[origin][1], of=ORIGIN_WORDS[origin][2])


def sentence(table: pd.DataFrame, indicator: str, origin: str, window_labels: tuple[str, str],
             level0: float | None, lang: str = "en") -> str:  # fmt: skip
    """One plain-words line: the change, then each cause's part of it with its 5-95% band, largest first.

    Rows that are zero in every member (EAEU membership of a non-member) are left out.
    """
    rows = table[(table["indicator"] == indicator) & (table["origin"] == origin) & (table["group"] == "all")]
    rows = rows.reindex(rows["contribution"].abs().sort_values(ascending=False).index)
    total = float(rows["total_change"].iloc[0])
    entry = REGISTRY[indicator]
    unit = entry.unit
    a, b = window_labels
    parts = []
    for row in rows.itertuples():
        if row.contribution == row.p05 == row.p95 == 0:
            continue
        label = LABELS.get(row.factor, (row.factor, row.factor))[0 if lang == "en" else 1]
        value = _amount(row.contribution, unit, lang)
        low, high = _number(row.p05, unit, lang), _number(row.p95, unit, lang)
        if lang == "en":
            parts.append(f"{label} {value} ({low} to {high})")
        else:
            parts.append(f"{label} — {value} (от {low} до {high})")
    percent = ""
    if level0 and not entry.percent:
        percent = f" ({total / level0:+.0%})" if lang == "en" else f" ({total / level0 * 100:+.0f} %)"
    amount = _amount(abs(total), unit, lang) + percent
    if lang == "en":
        verb = "rose" if total >= 0 else "fell"
        return (
            f"From {a} to {b} {_subject(entry, origin, lang)} {verb} by {amount}; by cause: "
            + ", ".join(parts)
            + "."
        )
    verb = entry.words().ru_rose if total >= 0 else entry.words().ru_fell
    what = _subject(entry, origin, lang)
    return f"С {a} по {b} г. {what} {verb} на {amount}; по причинам: " + ", ".join(parts) + "."


def ban_law_sentence(table: pd.DataFrame, indicator: str, origin: str, year: str, lang: str = "en") -> str:
    """The bans' total effect in one line, with the range over the uncalibrated ban parameters."""
    rows = table[(table["indicator"] == indicator) & (table["origin"] == origin)].set_index("setting")
    entry = REGISTRY[indicator]
    unit = entry.unit
    central = rows.loc["central"]
    value = _amount(central["effect"], unit, lang)
    low, high = _number(central["p05"], unit, lang), _number(central["p95"], unit, lang)
    spans = []
    for name in ("p_irregular_ru", "p_ban_known"):
        ends = rows[rows.index.str.startswith(name + "=")]
        a, b = (_number(v, unit, lang) for v in ends["effect"])
        lo, hi = (label.split("=")[1] for label in ends.index)
        spans.append(f"{name} {lo}-{hi}: {a} to {b}" if lang == "en" else f"{name} {lo}–{hi}: от {a} до {b}")
    if lang == "en":
        return (f"The July 2013 ban law's total effect on {_subject(entry, origin, lang)} in {year}: {value} "
                f"({low} to {high}); uncalibrated ban parameters: " + "; ".join(spans) + ".")  # fmt: skip
    what = _subject(entry, origin, lang)
    return (f"Закон о запретах (июль 2013 г.), полный эффект в {year} г.: {what} — {value} (от {low} до "
            f"{high}); некалиброванные параметры запретов: " + "; ".join(spans) + ".")  # fmt: skip


def waterfall(
    table: pd.DataFrame, indicator: str, origin: str, window_labels: tuple[str, str], path: Path
) -> None:
    """A waterfall chart of one indicator and origin: drift, then each factor, then the total change."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.results import atomic_write

    rows = table[(table["indicator"] == indicator) & (table["origin"] == origin) & (table["group"] == "all")]
    entry = REGISTRY[indicator]
    scale, what = SCALES[entry.unit]
    names = [LABELS.get(f, (f, f))[0] for f in rows["factor"]] + ["total change"]
    values = rows["contribution"].to_numpy() / scale
    starts = np.concatenate([[0.0], np.cumsum(values)[:-1]])
    total = float(rows["total_change"].iloc[0]) / scale
    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=120)
    colours = ["#2a9d8f" if v >= 0 else "#e76f51" for v in values]
    ax.bar(range(len(values)), values, bottom=starts, color=colours)
    errors = np.vstack([values - rows["p05"].to_numpy() / scale, rows["p95"].to_numpy() / scale - values])
    ax.errorbar(range(len(values)), starts + values, yerr=np.clip(errors, 0, None), fmt="none", ecolor="#333",
                capsize=3, linewidth=1)  # fmt: skip
    ax.bar(len(values), total, color="#264653")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    a, b = window_labels
    ax.set_title(f"{ORIGIN_NAMES[origin]}: change in {entry.words().en} from {a} to {b}, by cause")
    ax.set_ylabel(what)
    fig.text(0.01, 0.01, "bars: mean over members; whiskers: 5-95% over members (seeds, and parameters with "
             "--posterior)", fontsize=7, color="#555")  # fmt: skip
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
