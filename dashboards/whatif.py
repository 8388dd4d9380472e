"""The what-if page (``/``): a scenario or the baseline plus levers, run as a small ensemble.

The page's inputs and its last results are per browser session (module-level
``solara.reactive`` values), so they survive a visit to the other pages.
Results say which scenario they are for and are greyed out, with a note,
as soon as an input differs from the one they were run with.
"""

from __future__ import annotations

import functools
import io
import os
from dataclasses import dataclass, replace
from pathlib import Path

import solara
import solara.widgets

from dashboards import ensemble, hover, i18n
from dashboards.i18n import LanguageSwitch, indicator_label, lang, number, place_name, t
from dashboards.levers import COUNTRIES, Levers, apply_levers
from sim.defaults import MEMBER_HOUSEHOLDS
from sim.indicators import REGISTRY
from sim.scenario import scenario_dir

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = scenario_dir()
REFERENCE = "baseline.toml"
HOUSEHOLDS = int(os.environ.get("MIGSIM_WHATIF_HOUSEHOLDS", MEMBER_HOUSEHOLDS))  # per run; 3 members x 2 runs
SEEDS = (1, 2, 3)
# The members' parameters: K = len(SEEDS) particles of the shipped 2010-2021 calibration
POSTERIOR = PROJECT_ROOT / "calibration" / "runs" / "cal-2021" / "posterior.parquet"


def members() -> tuple[tuple, ...]:
    """The posterior particles the members run with (the defaults if no calibration is shipped)."""
    return ensemble.posterior_members(str(POSTERIOR), len(SEEDS))


def warm_up() -> None:
    """Run the baseline's members at start-up (``dashboards.app``): the first Run only runs the scenario."""
    ensemble.warm_reference(load(REFERENCE), HOUSEHOLDS, SEEDS, members())


def history_end():
    """The first day of the last month of observed drivers (later months are given the driver path)."""
    import pandas as pd

    from sim.drivers import history_end as last_month
    from sim.months import format_month

    return pd.Timestamp(format_month(last_month()) + "-01")


@dataclass(frozen=True)
class RunResult:
    """One finished run of the page: the ensemble, the years both runs cover, and the inputs it ran with."""

    frame: object  # DataFrame
    first: int
    last: int
    inputs: tuple  # (scenario file, Levers, last year)
    lever_events: tuple = ()  # the events the levers added to the scenario file's, as plain data


# Per browser session: the inputs and the last results (see the module docstring)
chosen = solara.reactive(REFERENCE)
levers_state = solara.reactive(Levers())
year_state = solara.reactive(None)
last_year_state = solara.reactive(None)
result_state = solara.reactive(None)  # RunResult
error_state = solara.reactive(None)
view_state = solara.reactive("annual")  # the chart: "annual" totals and means, or "monthly"
show_state = solara.reactive("levels")  # the chart: both runs' "levels", or their "difference"


@functools.cache
def heading(name: str) -> dict[str, str]:
    """A scenario file's own ``title``, ``question``, ``title_ru`` and ``question_ru`` (missing: empty)."""
    import tomllib

    try:
        head = tomllib.loads((SCENARIO_DIR / name).read_text()).get("scenario", {})
    except (OSError, tomllib.TOMLDecodeError):
        head = {}
    return {key: str(head.get(key, "")) for key in ("title", "question", "title_ru", "question_ru")}


def title_of(name: str) -> str:
    """The scenario's title in the session's language (English, then the file name, if missing)."""
    words = heading(name)
    return (lang.value == "ru" and words["title_ru"]) or words["title"] or name


def question_of(name: str) -> str:
    words = heading(name)
    return (lang.value == "ru" and words["question_ru"]) or words["question"]


def scenario_files(folder: Path = SCENARIO_DIR) -> list[str]:
    """Scenario file names in ``scenarios/``, the baseline first."""
    names = sorted(p.name for p in folder.glob("*.toml"))
    return sorted(names, key=lambda n: n != REFERENCE)


def load(name: str):
    """A scenario from ``scenarios/`` by file name (only names listed there are accepted)."""
    import sim

    if name not in scenario_files():
        raise ValueError(f"{name!r} is not a scenario in {SCENARIO_DIR}")
    return sim.load_scenario(SCENARIO_DIR / name)


def describe(row, year: int) -> str:
    """One headline row in plain words (in the current language), with the range over members."""
    name = row["indicator"]
    unit = "pp" if REGISTRY[name].percent else "people"
    diff = row["difference"]
    low, high = value_text(name, row["low"], True), value_text(name, row["high"], True)
    spread = t("range_words", low=low, high=high)
    small = abs(diff) < 0.005 if unit == "pp" else not abs(row["relative"]) >= 0.001  # NaN counts as small
    if small:
        return t("same", indicator=indicator_label(name), year=year, rel=spread)
    direction = t("more") if diff > 0 else t("less")
    if unit == "pp":
        amount = t("points", value=number(abs(diff), 2))
    else:
        amount = number(abs(diff))
    rel = ""
    if unit != "pp":
        rel = f" ({'+' if row['relative'] > 0 else '−'}{number(abs(100 * row['relative']), 1)}%)"
    return t("headline", year=year, indicator=indicator_label(name), amount=amount, direction=direction,
             rel=rel + spread)  # fmt: skip


def value_text(name: str, value: float, signed: bool = False) -> str:
    """A table cell: persons whole, percentages with 2 decimals, in the session's number style."""
    digits = 2 if REGISTRY[name].percent else 0
    text = number(abs(value) if signed else value, digits)
    if signed and round(value, digits) != 0:
        text = ("+" if value > 0 else "−") + text
    return text


def table_markdown(table) -> str:
    """The headline table as a Markdown table in the session's language and number style."""
    head = [t("col_indicator"), t("col_reference"), t("col_scenario"), t("col_difference"), t("col_range")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, row in table.iterrows():
        name = row["indicator"]
        spread = f"{value_text(name, row['low'], True)} … {value_text(name, row['high'], True)}"
        cells = [indicator_label(name), value_text(name, row["reference"]), value_text(name, row["scenario"]),
                 value_text(name, row["difference"], True), spread]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _csv(frame, lines: list[str], float_format: str) -> str:
    """``frame`` as CSV after ``# `` lines: ``,`` and a point in English, ``;`` and a comma in Russian.

    (What a spreadsheet in that language expects; no scientific notation.)
    """
    buffer = io.StringIO()
    for line in lines:
        buffer.write(f"# {line}\n")
    russian = lang.value == "ru"
    frame.to_csv(buffer, index=False, float_format=float_format, sep=";" if russian else ",",
                 decimal="," if russian else ".")  # fmt: skip
    return buffer.getvalue()


def run_csv(frame, done: RunResult, origin: str) -> str:
    """The whole run, month by month, both runs and every member, with its provenance in ``#`` lines.

    Columns are labelled in the session's language; shares are in percent.
    The header names the scenario file and title, the events the levers
    added, the members (seed and parameters), the households per run, and
    the code and data versions (``pandas.read_csv(..., comment="#")``
    reads it back).
    """
    import json

    from sim.data import vintage
    from sim.provenance import code_version

    series = ensemble.national(frame, origin)
    out = series.assign(run=series["run"].map({"reference": t("reference"), "scenario": t("scenario")}),
                        date=series["date"].dt.strftime("%Y-%m"))  # fmt: skip
    for name in ensemble.INDICATORS:
        out[name] = out[name] * REGISTRY[name].to_percent
    out = out.rename(columns={"run": t("col_run"), "seed": t("col_seed"), "date": t("col_month"),
                              **{name: indicator_label(name) for name in ensemble.INDICATORS}})  # fmt: skip
    place = place_name(origin)
    draws = [{"seed": seed, **dict(params)} for seed, params in zip(SEEDS, members(), strict=True)]
    lines = [
        f"{t('csv_scenario')}: {title_of(done.inputs[0])} ({done.inputs[0]}), {place}",
        f"{t('csv_levers')}: {json.dumps(list(done.lever_events), ensure_ascii=False)}",
        f"{t('csv_members')}: {json.dumps(draws)}",
        f"{t('csv_households')}: {HOUSEHOLDS}",
        f"migsim {code_version()}; data {vintage()}",
    ]
    return _csv(out, lines, "%.4f")


def table_csv(table, place: str) -> str:
    """Every year's table as CSV (:func:`_csv`): labels and headers in the session's language."""
    out = table.assign(country=place, indicator=[indicator_label(n) for n in table["indicator"]])
    out = out[["country", "year", "indicator", "reference", "scenario", "difference", "low", "high"]]
    out = out.rename(columns={c: t(f"col_{c}") for c in out.columns})
    return _csv(out, [], "%.2f")


def lab(key: str, value) -> str:
    """A slider label that shows its value (Vuetify shows it only while dragging)."""
    text = str(value) if isinstance(value, int) else number(value, 2, trim=True)  # years without separators
    return f"{t(key)}: {text}"


def first_full_year(scenario, reference) -> int | None:
    """The first full calendar year after the scenario's first own change (event or driver), or None."""
    events = [e for e in scenario.events if e not in reference.events]
    drivers = [d for d in scenario.drivers if d not in reference.drivers]
    months = [e.get("date", e.get("from")) for e in events] + [d.start for d in drivers]
    months = [m for m in months if m is not None]
    if not months:
        return None
    first = min(months)
    return first // 12 + (0 if first % 12 == 0 else 1)


def load_or_error(name: str):
    """``(scenario, None)``, or ``(None, message)`` for a file that does not load."""
    from sim.errors import InputError

    try:
        return load(name), None
    except (InputError, ValueError) as exc:
        return None, str(exc)


@solara.component
def Note(outcome, control: str):
    """The problem or note for one control, right below it."""
    if control in outcome.problems:
        key, args = outcome.problems[control]
        solara.Error(t(key, **args), dense=True)
    elif control in outcome.notes:
        key, args = outcome.notes[control]
        solara.Warning(t(key, **args), dense=True)


@solara.component
def LeverControls(levers: solara.Reactive, outcome):
    """The lever widgets; each writes one field of ``levers``."""
    lv = levers.value

    def setter(name):
        return lambda value: levers.set(replace(levers.value, **{name: value}))

    with solara.Card(t("eaeu_title"), subtitle=t("eaeu_help")):
        for country in COUNTRIES:
            with solara.Row():

                def toggle(on, country=country):
                    chosen = set(levers.value.eaeu) | {country} if on else set(levers.value.eaeu) - {country}
                    levers.set(replace(levers.value, eaeu=tuple(c for c in COUNTRIES if c in chosen)))

                def set_date(text, country=country):
                    levers.set(replace(levers.value, eaeu_date={**levers.value.eaeu_date, country: text}))

                solara.Checkbox(label=t(f"country_{country}"), value=country in lv.eaeu, on_value=toggle)
                solara.InputText(t("month"), value=lv.eaeu_date[country], on_value=set_date,
                                 disabled=country not in lv.eaeu)  # fmt: skip
            Note(outcome, f"eaeu_{country}")
    with solara.Card(t("amnesty_title"), subtitle=t("amnesty_help")):
        solara.SliderFloat(lab("amnesty_share", lv.amnesty_share), value=lv.amnesty_share, min=0, max=1,
                           step=0.05,
                           on_value=setter("amnesty_share"))  # fmt: skip
        with solara.Row():
            countries = i18n.place_options(COUNTRIES, all_last=True)
            pick = i18n.by_label(countries, lv.amnesty_country, setter("amnesty_country"))
            solara.Select(t("country"), **pick)
            solara.InputText(t("month"), value=lv.amnesty_date, on_value=setter("amnesty_date"))
        Note(outcome, "amnesty")
    with solara.Card(t("kz_title"), subtitle=t("kz_help")):
        solara.Checkbox(label=t("kz_available"), value=lv.kz_available, on_value=setter("kz_available"))
        solara.SliderFloat(
            lab("kz_fee", lv.kz_fee), value=lv.kz_fee, min=0, max=3, step=0.1, on_value=setter("kz_fee")
        )
        solara.InputText(t("from_month"), value=lv.kz_from, on_value=setter("kz_from"))
        Note(outcome, "kz_permits")
    for control, key, low, high, step, start in (
        ("campaign", "campaign", 0.0, 0.5, 0.01, "campaign_from"),
        ("remit_cost", "remit_cost", 0.0, 3.0, 0.1, "remit_from"),
        ("reintegration", "reintegration", 0.0, 1.0, 0.05, "reint_from"),
    ):
        with solara.Card(t(f"{key}_title"), subtitle=t(f"{key}_help")):
            solara.SliderFloat(lab(key, getattr(lv, key)), value=getattr(lv, key), min=low, max=high,
                               step=step,
                               on_value=setter(key))  # fmt: skip
            solara.InputText(t("from_month"), value=getattr(lv, start), on_value=setter(start))
            Note(outcome, control)
    with solara.Card(t("rub_title"), subtitle=t("rub_help")):
        solara.SliderFloat(lab("rub_shock", lv.rub_shock), value=lv.rub_shock, min=0.5, max=3.0, step=0.05,
                           on_value=setter("rub_shock"))  # fmt: skip
        with solara.Row():
            solara.InputText(t("from_month"), value=lv.rub_from, on_value=setter("rub_from"))
            solara.SliderInt(lab("rub_months", lv.rub_months), value=lv.rub_months, min=0, max=120, step=6,
                             on_value=setter("rub_months"))  # fmt: skip
        Note(outcome, "rub_shock")


@solara.component
def Results(done: RunResult, year: int, set_year):
    """Chart, headline table in words and downloads of one ensemble."""
    frame, first, last = done.frame, done.first, done.last
    origin = solara.use_reactive("all")
    series = solara.use_memo(lambda: ensemble.national(frame, origin.value), [id(frame), origin.value])
    annual = view_state.value == "annual"
    as_difference = show_state.value == "difference"

    def shown() -> object:
        picked = ensemble.yearly(series) if annual else series
        return ensemble.differences(picked) if as_difference else picked

    shown_series = solara.use_memo(shown, [id(series), annual, as_difference])
    labels = {name: indicator_label(name) for name in ensemble.INDICATORS}
    grades = {name: REGISTRY[name].grade_words(lang.value) for name in ensemble.INDICATORS}
    place = place_name(origin.value)
    errors = ensemble.structural_error(str(POSTERIOR), len(SEEDS))
    weight = frame[frame["run"] == "reference"].groupby("origin")["remittances_usd"].sum()
    if origin.value == "all":  # remittance-weighted over the origins
        structural = ensemble.weighted_error(errors, weight.to_dict())
    else:
        structural = errors.get(origin.value, ensemble.StructuralError())

    def chart(dpi: int = 90) -> bytes:
        return ensemble.chart_png(shown_series, labels, (t("reference"), t("scenario"), t("difference")),
                                  title=place,
                                  year=year, history_end=history_end(), after_label=t("after_history"),
                                  structural=structural, grades=grades, dpi=dpi,
                                  decimal_comma=lang.value == "ru")  # fmt: skip

    def interactive():
        names = {"reference": t("reference"), "scenario": t("scenario"), "difference": t("difference")}
        data = hover.hover_frame(shown_series, labels, names, grades, structural, lang.value)
        titles = {key: t(f"hover_{key}") for key in ("when", "series", "value", "range")}
        return hover.chart(data, titles, year, history_end(), lang.value).to_dict()

    spec = solara.use_memo(interactive, [id(shown_series), year, lang.value, structural])
    views = {"annual": t("view_annual"), "monthly": t("view_monthly")}
    shows = {"levels": t("show_levels"), "difference": t("show_difference")}
    with solara.Row():
        solara.ToggleButtonsSingle(**i18n.by_label(i18n.place_options(COUNTRIES), origin.value, origin.set))
        solara.ToggleButtonsSingle(**i18n.by_label(views, view_state.value, view_state.set))
        solara.ToggleButtonsSingle(**i18n.by_label(shows, show_state.value, show_state.set))
    with solara.Div(classes=["whatif-chart"]):
        # the Vega-Lite spec straight to the widget: solara.FigureAltair switches Altair's global renderer
        # around each render, so two sessions drawing at once could get each other's (a KeyError)
        solara.widgets.VegaLite.element(spec=spec)
    note = {"font-size": "0.85rem", "color": "#555", "display": "block"}
    solara.Text(t("hover_note"), style=note)
    if shown_series["date"].max() > history_end():
        solara.Text(t("after_history"), style=note)
    solara.Text(t("band_note_difference" if as_difference else "band_note", members=len(SEEDS)), style=note)
    solara.Text(t("year_note", year=year), style=note)
    solara.SliderInt(lab("table_year", year), value=year, min=first, max=last, on_value=set_year)
    table = ensemble.headline(series, year)
    solara.Text(
        f"{t('headline_title', year=year)} ({place})",
        classes=["headline-title"],
        style={"font-size": "1.25rem", "font-weight": "500", "margin": "12px 0 4px"},
    )
    for _, row in table.iterrows():
        solara.Text(describe(row, year), classes=["headline-line"])
    with solara.Div(classes=["headline-table"], style={"overflow-x": "auto"}):
        solara.Markdown(table_markdown(table))
    solara.Text(t("range_note", members=len(SEEDS)), style=note)
    with solara.Row():
        solara.FileDownload(lambda: table_csv(ensemble.headline_years(series), place),
                            filename=f"whatif_{origin.value}.csv", label=t("download_csv"),
                            mime_type="text/csv")  # fmt: skip
        solara.FileDownload(lambda: run_csv(frame, done, origin.value), label=t("download_run"),
                            filename=f"whatif_run_{origin.value}.csv", mime_type="text/csv")  # fmt: skip
        solara.FileDownload(lambda: chart(dpi=300), filename="whatif.png", label=t("download_png"),
                            mime_type="image/png")  # fmt: skip


@solara.component
def Page():
    """What-if: scenario against the baseline, three seeds with common random numbers."""
    files = solara.use_memo(scenario_files, [])
    levers, year, last_year = levers_state, year_state, last_year_state
    result, error = result_state, error_state
    if chosen.value not in files:  # a file removed since this session chose it
        chosen.set(REFERENCE)
    reference_full = solara.use_memo(lambda: load(REFERENCE), [])
    loaded, load_error = solara.use_memo(lambda: load_or_error(chosen.value), [chosen.value])
    if loaded is None:  # a broken scenario file: say so, fall back to the baseline
        loaded = reference_full
    end_year = loaded.end // 12
    horizon_last = min(last_year.value or end_year, end_year)
    stop = max(loaded.start, min(horizon_last * 12 + 11, loaded.end, reference_full.end))
    base = loaded.with_end(stop)
    outcome = apply_levers(base, levers.value)
    inputs = (chosen.value, levers.value, horizon_last)

    def run():
        error.set(None)
        try:
            scenario = outcome.scenario
            reference = reference_full.with_end(min(stop, reference_full.end))
            frame = ensemble.run_pair(scenario, reference, HOUSEHOLDS, SEEDS,
                                          progress=lambda p: setattr(task, "progress", p),
                                          member_params=members())  # fmt: skip
            common = set.intersection(*(set(part["date"].dt.year) for _, part in frame.groupby("run")))
            first, last = min(common), max(common)  # years both runs cover
            first_change = first_full_year(scenario, reference)
            if first_change is not None and first <= first_change <= last:
                year.set(first_change)  # the first full year the scenario's change acts in
            elif year.value is None or not first <= year.value <= last:
                year.set(min(last, max(first, 2025)))
            added = tuple({"type": e.type, **{key: str(v) for key, v in e.fields}}
                          for e in scenario.events if e not in base.events)  # fmt: skip
            result.set(RunResult(frame, first, last, inputs, added))
        except Exception as exc:  # shown on the page, never a crash
            error.set(f"{type(exc).__name__}: {exc}")

    task = solara.lab.use_task(run, dependencies=None)

    solara.Title(t("whatif_title"))
    LanguageSwitch()
    solara.Markdown(f"## {t('whatif_title')}\n{t('whatif_intro')}")
    titles = {title_of(name): name for name in files}
    with solara.Columns([1, 2]):
        with solara.Column():
            solara.Select(t("scenario_file"), values=list(titles), value=title_of(chosen.value),
                          on_value=lambda title: chosen.set(titles[title]))  # fmt: skip
            question = question_of(chosen.value)
            if question:
                solara.Text(question, classes=["scenario-question"], style={"font-style": "italic"})
            if load_error:
                solara.Error(t("invalid", message=load_error), dense=True)
            solara.SliderInt(lab("last_year", horizon_last), value=horizon_last, min=loaded.start // 12 + 1,
                             max=end_year, on_value=last_year.set)  # fmt: skip
            LeverControls(levers, outcome)
            solara.Button(t("reset_levers"), on_click=lambda: levers.set(Levers()), text=True)
        with solara.Column():
            with solara.Row():
                solara.Button(t("run"), color="primary", on_click=task,
                              disabled=not outcome.ok or task.pending)  # fmt: skip
                if not outcome.ok:
                    solara.Text(t("fix_first"))
            solara.Text(t("run_help", households=number(HOUSEHOLDS), seeds=len(SEEDS)))
            # fixed positions: the results below keep their widgets (and state) when a run ends
            solara.ProgressLinear((task.progress or True) if task.pending else False)
            solara.Text(t("running") if task.pending else "")
            with solara.Column():
                if error.value:
                    solara.Error(error.value)
                elif result.value is None and not task.pending:
                    solara.Info(t("press_run"))
            if result.value is not None:
                done = result.value
                levered = done.inputs[1] != Levers()
                if done.inputs[0] == REFERENCE and levered:
                    ran_with = t("results_for_levers")
                else:
                    ran_with = t("results_for", title=title_of(done.inputs[0]))
                    ran_with += t("with_levers") if levered else ""
                stale = done.inputs != inputs
                solara.Text(ran_with, classes=["results-for"],
                            style={"font-weight": "500", "display": "block"})  # fmt: skip
                if stale:
                    solara.Warning(t("stale_results"), classes=["stale-note"])
                with solara.Column(classes=["stale-results" if stale else "fresh-results"],
                                   style={"opacity": "0.45" if stale else "1"}):  # fmt: skip
                    Results(done, year.value, year.set).key("results")
