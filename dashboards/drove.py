"""The "What drove it?" page (``/drove``): what a change of an indicator came from, factor by factor.

Four episodes of the baseline open at once from the files shipped in
``dashboards/episodes/`` (:mod:`dashboards.episodes`, no simulation); a form
runs :func:`sim.attribution.attribute` for other periods, indicators and
factors at a small size in a background thread. Each answer shows its
plain-words lines, a waterfall chart per origin (drift, each factor, the
total; whiskers for the 5-95% band over members), the numbers, the ban law's
total effect and who was hit (regions and sexes). As on the what-if page,
the inputs and the last results are per browser session, results say what
they were asked for and are greyed out once the form differs.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass, replace

import solara

from dashboards import episodes, i18n
from dashboards.episodes import Answer
from dashboards.i18n import LanguageSwitch, indicator_label, lang, number, place_name, t
from sim.attribution.report import LABELS, SCALES
from sim.indicators import HOUSEHOLDS, PCT_GDP, PERSONS, REGISTRY, SHARE, USD_MONTH, USD_PERSON
from sim.registry import FACTORS

UNIT_KEYS = {USD_MONTH: "unit_usd_m", PCT_GDP: "unit_points", SHARE: "unit_points", USD_PERSON: "unit_usd",
             PERSONS: "unit_persons", HOUSEHOLDS: "unit_households"}  # fmt: skip
FORM_INDICATORS = ("remittances_usd", "remittances_gdp_pct", "migrants_ru", "migrants_kz", "banned",
                   "returns", "poverty_rate")  # fmt: skip
HOUSEHOLD_RANGE = (100, 5_000)  # the form's size: seconds to a few minutes on 2 busy cores
SEED_RANGE = (1, 3)
BY = episodes.BY


@dataclass(frozen=True)
class Request:
    """What the form asks: two years or two months, indicators, factors (empty: all active), size."""

    start: str = "2014"
    end: str = "2016"
    indicators: tuple[str, ...] = ("remittances_usd",)
    factors: tuple[str, ...] = ()
    households: int = 3_000
    seeds: int = 2
    by: bool = True


# Per browser session: the chosen episode and views, the form and its last result
episode_state = solara.reactive(episodes.name(*episodes.EPISODES[0]))
episode_view = solara.reactive(("remittances_usd", "all"))  # (indicator, origin or "all")
request_state = solara.reactive(Request())
live_state = solara.reactive(None)  # (Answer, Request it ran with)
live_view = solara.reactive(("remittances_usd", "all"))
error_state = solara.reactive(None)
runs_state = solara.reactive((0, 0))  # (runs done, runs in all) of the running attribution


@functools.cache
def baseline():
    """The baseline scenario the episodes and the form attribute."""
    from sim.model import resolve_scenario

    return resolve_scenario(episodes.PROJECT_ROOT / episodes.SCENARIO)


@functools.cache
def active(start: str, end: str) -> tuple[str, ...]:
    """The factors that change anything in the window (:func:`sim.attribution.core.active_factors`)."""
    from sim.attribution import core

    return tuple(core.active_factors(baseline(), core.parse_window(start, end, baseline())))


def check(request: Request) -> tuple[str, str] | None:
    """``(control, one-line message)`` for the first bad input of the form, or None."""
    from sim.attribution import core
    from sim.errors import InputError

    low, high = HOUSEHOLD_RANGE
    if not low <= request.households <= high:
        return "households", t("bad_households", low=number(low), high=number(high))
    if not SEED_RANGE[0] <= request.seeds <= SEED_RANGE[1]:
        return "seeds", t("bad_seeds", low=SEED_RANGE[0], high=SEED_RANGE[1])
    if not request.indicators:
        return "indicators", t("no_indicator")
    try:
        core.parse_window(request.start, request.end, baseline())
        core.check_choices(request.indicators, request.factors, BY if request.by else ())
    except InputError as exc:
        return "period", str(exc)
    return None


def runs_needed(request: Request) -> int:
    """Runs of the request: 2^F per member (sampled orderings above 8 factors), 10 more for the ban law."""
    from sim.attribution import shapley
    from sim.attribution.core import DEFAULT_ORDERINGS

    factors = request.factors or active(request.start, request.end)
    f = len(factors)
    coalitions = 2**f if f <= shapley.MAX_EXACT_FACTORS else 2 * DEFAULT_ORDERINGS * f
    return request.seeds * (coalitions + (10 if "reentry_bans" in factors else 0))


def signed(value: float, indicator: str) -> str:
    """A contribution in the page's units (USD in millions, points), with its sign, in the session's style."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    unit = REGISTRY[indicator].unit
    shown = value / SCALES[unit][0]
    if unit in (PCT_GDP, SHARE, USD_PERSON):
        digits = 2
    elif unit == USD_MONTH:
        digits = 0 if abs(shown) >= 100 else 1
    else:
        digits = 0
    if round(abs(shown), digits) == 0:
        return number(0.0, digits)
    return ("+" if shown > 0 else "−") + number(abs(shown), digits)


def with_band(value: float, low: float, high: float, indicator: str) -> str:
    """``mean (5% … 95%)`` in the page's units."""
    return f"{signed(value, indicator)} ({signed(low, indicator)} … {signed(high, indicator)})"


def row_label(factor: str) -> str:
    """A row of the table in the session's language (the factors' and accounting rows' own labels)."""
    words = LABELS.get(factor, (factor, factor))
    text = words[1] if lang.value == "ru" else words[0]
    return text[:1].upper() + text[1:]


def rows_of(answer: Answer, indicator: str, origin: str, group: str = "all"):
    """One cell's rows (drift, factors, accounting rows), without rows that are zero in every member.

    (The measurement row outside Uzbekistan, EAEU membership for a non-member: as the lines do.)
    """
    table = answer.table
    rows = table[(table["indicator"] == indicator) & (table["origin"] == origin) & (table["group"] == group)]
    zero = (rows["contribution"] == 0) & (rows["p05"] == 0) & (rows["p95"] == 0) & (rows["factor"] != "drift")
    return rows[~zero]


def numbers_markdown(answer: Answer, indicator: str, origins: list[str]) -> str:
    """Drift, each factor and the total change per origin: mean (5% … 95% over members)."""
    head = [t("col_cause"), *[place_name(o) for o in origins]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    per_origin = {o: rows_of(answer, indicator, o).set_index("factor") for o in origins}
    factors = list(dict.fromkeys(f for o in origins for f in per_origin[o].index))
    for factor in factors:
        cells = [with_band(*per_origin[o].loc[factor, ["contribution", "p05", "p95"]], indicator)
                 if factor in per_origin[o].index else "—" for o in origins]  # fmt: skip
        lines.append(f"| {row_label(factor)} | " + " | ".join(cells) + " |")
    totals = [signed(float(per_origin[o]["total_change"].iloc[0]), indicator) for o in origins]
    lines.append(f"| **{t('total_change')}** | " + " | ".join(f"**{c}**" for c in totals) + " |")
    return "\n".join(lines)


def ban_law_markdown(ban_law, indicator: str, origins: list[str]) -> str | None:
    """The 2013 ban law's total effect per origin: as calibrated, and at the ends of uncalibrated ranges."""
    if ban_law is None or indicator not in set(ban_law["indicator"]):
        return None
    rows = ban_law[ban_law["indicator"] == indicator]
    head = [t("col_setting"), *[place_name(o) for o in origins]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for setting in rows["setting"].unique():
        cells = []
        for origin in origins:
            row = rows[(rows["setting"] == setting) & (rows["origin"] == origin)].iloc[0]
            cells.append(with_band(row["effect"], row["p05"], row["p95"], indicator))
        name = t("as_calibrated") if setting == "central" else setting.replace("=", " = ")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def group_label(group: str) -> str:
    """``"region=Sughd;sex=male"`` -> ``"Sughd, men"`` (``"Sughd, мужчины"`` in Russian)."""
    parts = []
    for pair in group.split(";"):
        key, _, value = pair.partition("=")
        parts.append(t(f"group_{value}") if key == "sex" else value)
    return ", ".join(parts)


def hit_markdown(answer: Answer, indicator: str, origins: list[str]) -> str | None:
    """Who was hit: each group's total change and each cause's part (means over members), or None."""
    table = answer.table[(answer.table["indicator"] == indicator) & (answer.table["group"] != "all")]
    table = table[table["origin"].isin(origins)]
    if table.empty:
        return None
    factors = list(dict.fromkeys(table["factor"]))
    head = [t("country"), t("col_group"), t("total_change"), *[row_label(f) for f in factors]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (origin, group), rows in table.groupby(["origin", "group"], sort=False):
        values = rows.set_index("factor")["contribution"]
        total = signed(float(rows["total_change"].iloc[0]), indicator)
        cells = [place_name(origin), group_label(group), total,
                 *[signed(float(values.get(f, float("nan"))), indicator) for f in factors]]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def waterfall_png(answer: Answer, indicator: str, origin: str) -> bytes:
    """One origin's waterfall: drift and each cause as steps, the total last; whiskers 5-95% over members."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    rows = rows_of(answer, indicator, origin)
    scale = SCALES[REGISTRY[indicator].unit][0]
    values = rows["contribution"].to_numpy() / scale
    starts = np.concatenate([[0.0], np.cumsum(values)[:-1]])
    total = float(rows["total_change"].iloc[0]) / scale
    names = [t("drift_short") if f == "drift" else row_label(f) for f in rows["factor"]] + [t("total_change")]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=100)
    ax.bar(
        range(len(values)), values, bottom=starts, color=["#2a9d8f" if v >= 0 else "#e76f51" for v in values]
    )
    errors = np.vstack([values - rows["p05"].to_numpy() / scale, rows["p95"].to_numpy() / scale - values])
    ax.errorbar(range(len(values)), starts + values, yerr=np.clip(errors, 0, None), fmt="none", ecolor="#333",
                capsize=3, linewidth=1)  # fmt: skip
    ax.bar(len(values), total, color="#264653")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: number(y, 0 if abs(y) >= 10 or y == 0 else 1)))
    a, b = answer.labels
    ax.set_title(t("chart_title", place=place_name(origin), indicator=indicator_label(indicator), a=a, b=b),
                 fontsize=10)  # fmt: skip
    ax.set_ylabel(t(UNIT_KEYS[REGISTRY[indicator].unit]))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


@solara.component
def AnswerView(answer: Answer, view: solara.Reactive):
    """An answer: its lines, a waterfall per origin, the numbers, the ban law's total effect, who was hit."""
    indicator, origin = view.value
    if indicator not in answer.indicators:
        indicator = answer.indicators[0]
    if origin != "all" and origin not in answer.origins:
        origin = "all"
    origins = answer.origins if origin == "all" else [origin]
    with solara.Row():
        labels = {name: indicator_label(name) for name in answer.indicators}
        solara.Select(t("indicator"), **i18n.by_label(labels, indicator, lambda n: view.set((n, origin))))
        with solara.Div(classes=["origin-choice"]):
            solara.ToggleButtonsSingle(**i18n.by_label(i18n.place_options(answer.origins), origin,
                                                       lambda o: view.set((indicator, o))))  # fmt: skip
    for line in answer.lines_for(indicator, lang.value):
        solara.Text(line, classes=["drove-line"], style={"display": "block", "margin": "4px 0"})
    charts = solara.use_memo(lambda: [waterfall_png(answer, indicator, o) for o in origins],
                             [answer.key, indicator, origin, lang.value])  # fmt: skip
    with solara.Row(style={"flex-wrap": "wrap"}):
        for png in charts:
            with solara.Div(classes=["waterfall"]):
                solara.Image(png, width="560px")
    solara.Text(t("chart_note", unit=t(UNIT_KEYS[REGISTRY[indicator].unit])), style={"color": "#555"})
    with solara.Div(classes=["drove-table"], style={"overflow-x": "auto"}):
        solara.Markdown(numbers_markdown(answer, indicator, origins))
    ban = ban_law_markdown(answer.ban_law, indicator, origins)
    if ban is not None:
        solara.Markdown(f"#### {t('ban_law_title', year=answer.labels[1])}\n{t('ban_law_note')}")
        with solara.Div(classes=["ban-law-table"], style={"overflow-x": "auto"}):
            solara.Markdown(ban)
    hit = hit_markdown(answer, indicator, origins)
    if hit is not None:  # a row per region and sex: one country at a time keeps the table readable
        solara.Markdown(f"#### {t('hit_title')}\n{t('hit_note')}")
        if origin == "all":
            solara.Info(t("hit_pick"), dense=True, classes=["hit-pick"])
        else:
            with solara.Div(classes=["hit-table"], style={"overflow-x": "auto"}):
                solara.Markdown(hit)


def attribute_answer(request: Request, number_: int, progress=None) -> Answer:
    """Run the form's request (:func:`sim.attribution.attribute`, the baseline, the 2021 posterior)."""
    from sim.attribution import attribute

    result = attribute(baseline(), request.start, request.end, indicators=request.indicators,
                       factors=request.factors or None, by=BY if request.by else (), seeds=request.seeds,
                       seed=episodes.SEED, posterior=episodes.PROJECT_ROOT / episodes.POSTERIOR,
                       households=request.households, progress=progress)  # fmt: skip
    lines = {code: result.lines(code) for code in ("en", "ru")}
    return Answer(f"run-{number_}", result.table, result.ban_law, lines, result.request.window.labels)


def asked(request: Request) -> str:
    """What a result was asked for, in words."""
    factors = ", ".join(LABELS[f][1 if lang.value == "ru" else 0] for f in request.factors) or t("all_active")
    return t("results_for_drove", a=request.start, b=request.end,
             indicators=", ".join(indicator_label(i) for i in request.indicators), factors=factors,
             households=number(request.households), seeds=request.seeds)  # fmt: skip


@solara.component
def Form(request: solara.Reactive, problem):
    """From/to, indicators, factors, size and breakdown; each control writes one field of ``request``."""
    rq = request.value

    def setter(field):
        return lambda value: request.set(replace(request.value, **{field: value}))

    with solara.Row():
        solara.InputText(t("from_period"), value=rq.start, on_value=setter("start"))
        solara.InputText(t("to_period"), value=rq.end, on_value=setter("end"))
    if problem and problem[0] == "period":
        solara.Error(problem[1], dense=True, classes=["form-error"])
    labels = {name: indicator_label(name) for name in FORM_INDICATORS}
    solara.SelectMultiple(t("indicators"), **i18n.by_labels(labels, rq.indicators, setter("indicators")))
    if problem and problem[0] == "indicators":
        solara.Error(problem[1], dense=True, classes=["form-error"])
    names = {name: row_label(name) for name in FACTORS}
    solara.SelectMultiple(t("factors"), **i18n.by_labels(names, rq.factors, setter("factors")))
    solara.Text(t("factors_help"), style={"color": "#555", "font-size": "0.85rem"})
    with solara.Row():
        solara.InputInt(t("households"), value=rq.households, on_value=setter("households"))
        solara.InputInt(t("members"), value=rq.seeds, on_value=setter("seeds"))
    if problem and problem[0] in ("households", "seeds"):
        solara.Error(problem[1], dense=True, classes=["form-error"])
    solara.Checkbox(label=t("by_region_sex"), value=rq.by, on_value=setter("by"))


@solara.component
def Live():
    """The form, its Run button and progress, and its last result (greyed out once the form differs)."""
    request, live, error = request_state, live_state, error_state
    problem = check(request.value)
    counter = solara.use_ref(0)

    def run():
        error.set(None)
        runs_state.set((0, 0))
        asked_for = request.value
        counter.current += 1
        try:
            answer = attribute_answer(
                asked_for, counter.current, lambda done, total: runs_state.set((done, total))
            )
            live.set((answer, asked_for))
        except Exception as exc:  # shown on the page, never a crash; an InputError is one line already
            from sim.errors import InputError

            error.set(str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}")

    task = solara.lab.use_task(run, dependencies=None)
    Form(request, problem)
    with solara.Row():
        solara.Button(t("run"), color="primary", on_click=task, disabled=problem is not None or task.pending)
        if problem is None:
            solara.Text(t("runs_needed", runs=number(runs_needed(request.value))), classes=["runs-needed"])
    if problem is None and not request.value.factors:  # what "all active" means for this window
        factors = active(request.value.start, request.value.end)
        acting = ", ".join(LABELS[f][1 if lang.value == "ru" else 0] for f in factors)
        solara.Text(t("active_now", factors=acting), classes=["active-now"], style={"color": "#555"})
    done, total = runs_state.value
    # fixed positions: the result below keeps its widgets (and their state) when a run starts or ends
    solara.ProgressLinear((100 * done / total if total else True) if task.pending else False)
    running = ""
    if task.pending:
        finishing = total and done >= total
        running = t("running_ban_law") if finishing else t("running_runs", done=done, total=total or "…")
    solara.Text(running, classes=["drove-running"])
    with solara.Column():
        if error.value:
            solara.Error(error.value, classes=["run-error"])
    if live.value is not None:
        answer, ran_with = live.value
        stale = ran_with != request.value
        solara.Text(
            asked(ran_with), classes=["results-for"], style={"font-weight": "500", "display": "block"}
        )
        if stale:
            solara.Warning(t("stale_drove"), classes=["stale-note"])
        with solara.Column(classes=["stale-results" if stale else "fresh-results"],
                           style={"opacity": "0.45" if stale else "1"}):  # fmt: skip
            AnswerView(answer, live_view).key("live-answer")


@solara.component
def Page():
    """What drove it? The shipped episodes at once, and a form for other periods."""
    shipped = solara.use_memo(episodes.available, [])
    record = solara.use_memo(episodes.settings, [])
    solara.Title(t("drove_title"))
    LanguageSwitch()
    solara.Markdown(f"## {t('drove_title')}\n{t('drove_intro')}")
    with solara.Card(t("episodes_title")):
        if not shipped:
            solara.Warning(t("no_episodes"))
        else:
            if episode_state.value not in shipped:
                episode_state.set(shipped[0])
            names = {name: name.replace("-", " → ") for name in shipped}
            with solara.Div(classes=["episode-choice"]):
                solara.ToggleButtonsSingle(**i18n.by_label(names, episode_state.value, episode_state.set))
            size = record.get("episodes", {}).get(episode_state.value)  # each episode's own size
            if size:
                solara.Text(t("episodes_note", households=number(size["households"]), seeds=size["seeds"]),
                            classes=["episode-size"], style={"color": "#555"})  # fmt: skip
            AnswerView(episodes.load(episode_state.value), episode_view).key("episode-answer")
    with solara.Card(t("other_title"), subtitle=t("other_help")):
        Live()
