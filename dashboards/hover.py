"""The what-if chart with values on hover: Vega-Lite (Altair), drawn in the browser.

The same panels as :func:`dashboards.ensemble.chart_png` (which stays the
print-quality download): each indicator's mean over members and its 5-95%
band (:func:`dashboards.ensemble.chart_frame`), the table's year in yellow,
the months after the observed drivers in grey. Pointing at a panel shows the
values of the nearest date, in the session's language (numbers are formatted
here, so Russian gets decimal commas without a Vega locale).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboards.ensemble import INDICATORS, RUN_COLOURS, chart_frame, is_yearly
from dashboards.i18n import number
from sim.ensemble import StructuralError
from sim.indicators import REGISTRY

# thousands separators on the axes; Russian: thin spaces and a decimal comma
_AXIS = "abs(datum.value) >= 100 ? format(datum.value, ',.0f') : format(datum.value, ',.2~f')"
_AXIS_RU = f"replace(replace({_AXIS}, regexp(',', 'g'), '\u2009'), '.', ',')"


TOOLTIP = ("when", "series", "value", "range")


def _text(value: float, name: str, lang: str) -> str:
    """A value for the tooltip: counts whole, rates (in percent) with two decimals."""
    return number(value, 2 if REGISTRY[name].percent else 0, language=lang)


def hover_frame(series: pd.DataFrame, labels: dict[str, str], run_names: dict[str, str],
                grades: dict[str, str] | None = None, structural: StructuralError | float = 0.0,
                lang: str = "en") -> pd.DataFrame:  # fmt: skip
    """:func:`chart_frame` with what the browser shows: panel titles, run names and formatted values."""
    frame = chart_frame(series, structural)
    yearly = is_yearly(frame["date"])
    panel = {n: f"{labels.get(n, n)} ({grades[n]})" if grades and n in grades else labels.get(n, n)
             for n in INDICATORS}  # fmt: skip
    frame["panel"] = frame["indicator"].map(panel)
    frame["series"] = frame["run"].map(run_names)
    frame["when"] = frame["date"].dt.strftime("%Y" if yearly else "%Y-%m")
    frame["value"] = [_text(v, n, lang) for v, n in zip(frame["mean"], frame["indicator"], strict=True)]
    bounds = zip(frame["low"], frame["high"], frame["indicator"], strict=True)
    frame["range"] = [f"{_text(a, n, lang)} – {_text(b, n, lang)}" for a, b, n in bounds]
    return frame


def chart(frame: pd.DataFrame, titles: dict[str, str], year: int | None = None,
          history_end: pd.Timestamp | None = None, lang: str = "en") -> alt.FacetChart:  # fmt: skip
    """Six panels in two rows; lines and bands per run; the nearest date's values on hover.

    ``titles`` names the tooltip fields (:data:`TOOLTIP`): ``when``, ``series``, ``value``, ``range``.
    """
    names = dict(zip(frame["run"], frame["series"], strict=True))  # run -> its name, in drawing order
    colour = alt.Color("series:N", title=None, sort=list(names.values()), legend=alt.Legend(orient="top"),
                       scale=alt.Scale(domain=list(names.values()),
                                       range=[RUN_COLOURS[r] for r in names]))  # fmt: skip
    data = frame.assign(
        year_from=pd.Timestamp(year=year, month=1, day=1) if year else pd.NaT,
        year_to=pd.Timestamp(year=year, month=12, day=31) if year else pd.NaT,
        after_from=history_end if history_end is not None and frame["date"].max() > history_end else pd.NaT,
        after_to=frame["date"].max(),
    )
    if is_yearly(frame["date"]):  # one point a year, on 1 July: a tick a year (or every few years)
        span = frame["date"].dt.year.max() - frame["date"].dt.year.min() + 1
        ticks = alt.Axis(format="%Y", tickCount={"interval": "year", "step": max(1, round(span / 5))})
    else:  # numeric months: no month names, so the same in both languages
        ticks = alt.Axis(format="%Y-%m", tickCount=5, labelAngle=0)
    x = alt.X("date:T", title=None, axis=ticks)
    y_axis = alt.Axis(labelExpr=_AXIS_RU if lang == "ru" else _AXIS, title=None)
    nearest = alt.selection_point(
        name="nearest", fields=["date"], nearest=True, on="pointerover", empty=False, clear="pointerout"
    )
    base = alt.Chart()
    layers = []
    if year:
        layers.append(
            base.mark_rect(color="#f1c40f", opacity=0.15).encode(x="min(year_from):T", x2="min(year_to):T")
        )
    if data["after_from"].notna().any():
        after = base.mark_rect(color="#dddddd", opacity=0.35)
        layers.append(after.encode(x="min(after_from):T", x2="max(after_to):T"))
    layers += [
        base.mark_area(opacity=0.25).encode(x=x, y=alt.Y("low:Q", axis=y_axis, scale=alt.Scale(zero=False)),
                                            y2="high:Q", color=colour),  # fmt: skip
        base.mark_line(strokeWidth=1.6).encode(x=x, y="mean:Q", color=colour),
        base.mark_point(filled=True, size=40).encode(
            x=x, y="mean:Q", color=colour,
            opacity=alt.condition(nearest, alt.value(1.0), alt.value(0.0)),
            tooltip=[alt.Tooltip(f"{key}:N", title=titles[key]) for key in TOOLTIP],
        ).add_params(nearest).properties(name="points"),
        base.mark_rule(color="#999999").encode(x=x).transform_filter(nearest),
    ]  # fmt: skip
    order = list(dict.fromkeys(frame["panel"]))
    return (
        alt.layer(*layers, data=data)
        .properties(width=190, height=140)
        .facet(
            facet=alt.Facet("panel:N", sort=order, title=None, header=alt.Header(labelFontSize=12)), columns=3
        )
        .resolve_scale(y="independent")
    )
