"""The workshop page (``/workshop``): a live village, in Solara components around one model.

The page is built here, not by Mesa's SolaraViz, so that every word follows
the language switch and every slider is wide enough to drag and shows its
value. The model is :class:`dashboards.village.WorkshopModel`, a Mesa model:
**Step** advances it one month, **Play** steps it every
:data:`PLAY_INTERVAL_S`, **Reset** builds a new village with the sliders'
values and keeps the last run's shares as faded lines to compare with. The
village is built in a background thread; the first build in a server process
also compiles the household rule, and the page says so while it waits.
"""

from __future__ import annotations

import inspect
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import solara

from dashboards.i18n import LanguageSwitch, by_label, number, place_name, place_options, t
from dashboards.village import WorkshopModel, household_status
from sim.data import ORIGINS

COLOURS = ("#9e9e9e", "#c0392b", "#2471a3", "#111111")  # home, Russia, Kazakhstan, banned
STATUS_KEYS = ("legend_home", "legend_ru", "legend_kz", "legend_banned")
SHARE_COLOURS = {"share_home": COLOURS[0], "share_ru": COLOURS[1], "share_kz": COLOURS[2],
                 "share_banned": COLOURS[3]}  # fmt: skip
PLAY_INTERVAL_S = 0.4
selected = solara.reactive(0)  # the household shown up close (per session)
shown_origin = solara.reactive("all")  # the village shown: "all" origins, or one of ORIGINS


def _shares(frame, suffix: str):
    """The share columns of one origin (``suffix``) under their plain names."""
    return frame[[name + suffix for name in SHARE_COLOURS]].rename(columns=lambda c: c.removesuffix(suffix))


def percent(x: float, digits: int = 0) -> str:
    return f"{number(100 * x, digits)}%"


def times(x: float) -> str:
    return f"x{number(x, 2, trim=True)}"


@dataclass(frozen=True)
class Slider:
    """One slider: a :class:`WorkshopModel` keyword (default: the keyword's), range, step, display."""

    name: str
    low: float
    high: float
    step: float
    show: Callable[[float], str]
    integer: bool = False


# The trainer's ranges: wide enough to show a response, not the model's plausible ranges (sim/params.py)
SLIDERS = (
    Slider("households", 100, 600, 50, lambda x: number(x), integer=True),
    Slider("seed", 0, 20, 1, lambda x: number(x), integer=True),
    Slider("p_job_home", 0.05, 0.95, 0.05, percent),
    Slider("wage_home_multiplier", 0.25, 4.0, 0.25, times),
    Slider("wage_ru_multiplier", 0.25, 4.0, 0.25, times),
    Slider("wage_kz_multiplier", 0.25, 4.0, 0.25, times),
    Slider("rub_per_usd_multiplier", 0.5, 3.0, 0.1, times),
    Slider("beta_network", 0.0, 8.0, 0.5, lambda x: number(x, 1)),
    Slider("hazard_ru_after_law", 0.0, 0.1, 0.005, lambda x: percent(x, 1)),
)


def default_settings() -> dict[str, float]:
    """Every slider at its :class:`WorkshopModel` keyword's default."""
    keywords = inspect.signature(WorkshopModel.__init__).parameters
    return {s.name: keywords[s.name].default for s in SLIDERS}


_compile_lock = threading.Lock()
_compiled = False


def build_village(settings: dict[str, float]) -> WorkshopModel:
    """A new village with ``settings``; the first call in a process first runs a small one to compile.

    The compile (or the load from numba's cache) happens here, in the page's
    background thread, so no Step waits for it.
    """
    global _compiled
    with _compile_lock:
        if not _compiled:
            warm = WorkshopModel(households=100, seed=0)
            warm.step()
            warm.explain(0)
            _compiled = True
    model = WorkshopModel(**settings)
    model.layout  # noqa: B018  (spring positions, computed once here rather than at the first picture)
    return model


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def network_png(model: WorkshopModel, chosen: int, labels: list[str], origin_names: list[str],
                origin: int | None = None) -> bytes:  # fmt: skip
    """The village drawn with networkx spring positions, households coloured by status.

    Households tie only within their origin, so each origin is a cluster,
    named above it; with ``origin`` only that origin's households are drawn,
    filling the picture.

    Ties between two households that both have someone abroad are drawn in
    the colour of Russia (or Kazakhstan, if neither has someone in Russia), so
    migration spreading along ties shows as coloured threads.
    """
    import networkx as nx
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(6.0, 5.0), dpi=80, layout="constrained")
    ax = fig.subplots()
    pos = model.layout if origin is None else model.origin_layout(origin)
    graph = model.graph if origin is None else model.graph.subgraph(list(pos))
    status = household_status(model)
    abroad = {1: "ru", 2: "kz"}
    quiet, threads = [], {"ru": [], "kz": []}
    for a, b in graph.edges():
        if status[a] in abroad and status[b] in abroad:
            threads["ru" if 1 in (status[a], status[b]) else "kz"].append((a, b))
        else:
            quiet.append((a, b))
    nx.draw_networkx_edges(graph, pos, edgelist=quiet, ax=ax, alpha=0.10, width=0.6)
    for key, colour in (("ru", COLOURS[1]), ("kz", COLOURS[2])):
        nx.draw_networkx_edges(graph, pos, edgelist=threads[key], ax=ax, alpha=0.45, width=1.0,
                               edge_color=colour)  # fmt: skip
    nodes = list(graph.nodes())
    nx.draw_networkx_nodes(graph, pos, nodelist=nodes, ax=ax, node_size=40 if origin is None else 70,
                           node_color=[COLOURS[status[i]] for i in nodes], linewidths=0)  # fmt: skip
    if chosen in pos:
        nx.draw_networkx_nodes(graph, pos, nodelist=[chosen], ax=ax, node_size=150,
                               node_color=[COLOURS[status[chosen]]], edgecolors="#f1c40f",
                               linewidths=2.5)  # fmt: skip
    handles = [Line2D([], [], marker="o", ls="", color=c, label=lab)
               for c, lab in zip(COLOURS, labels, strict=True)]  # fmt: skip
    fig.legend(handles=handles, loc="outside upper center", ncols=2, fontsize=9, frameon=False)
    xy = np.array([pos[i] for i in nodes])
    origins = model.state.origin[nodes]
    for o, name in enumerate(origin_names):  # each origin's households form their own cluster
        mine = xy[origins == o]
        if len(mine) and origin is None:
            ax.annotate(name, (mine[:, 0].mean(), mine[:, 1].max()), xytext=(0, 6),
                        textcoords="offset points", ha="center", fontsize=10, fontweight="bold",
                        color="#444444")  # fmt: skip
    ax.margins(0.08)
    ax.set_axis_off()
    return _png(fig)


def shares_png(model: WorkshopModel, labels: dict[str, str], xlabel: str, previous=None,
               previous_label: str = "", suffix: str = "") -> bytes:  # fmt: skip
    """Shares of working-age members by place, month by month; the run before the last Reset faded.

    ``suffix`` (``"_TJ"``, ...) shows one origin's shares; empty: all.
    """
    from matplotlib.figure import Figure

    frame = _shares(model.datacollector.get_model_vars_dataframe(), suffix)
    previous = _shares(previous, suffix) if previous is not None else None
    fig = Figure(figsize=(6.4, 3.6), dpi=80, layout="constrained")
    ax = fig.subplots()
    shown = [name for name in SHARE_COLOURS if name != "share_home"]
    top = float(frame[shown].max().max())
    length = len(frame)
    if previous is not None and len(previous):
        for name in shown:
            ax.plot(previous.index, 100 * previous[name], color=SHARE_COLOURS[name], lw=1.4, ls="--",
                    alpha=0.4)  # fmt: skip
        ax.plot([], [], color="#777777", lw=1.4, ls="--", alpha=0.6, label=previous_label)
        top = max(top, float(previous[shown].max().max()))
        length = max(length, len(previous))
    for name in shown:
        ax.plot(frame.index, 100 * frame[name], color=SHARE_COLOURS[name], lw=1.8, label=labels[name])
    ax.set_ylabel("%")
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(12, length - 1))
    ax.set_ylim(0, max(10.0, 100 * top * 1.15))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _png(fig)


@solara.component
def NetworkView(model: WorkshopModel, tick: int):
    """The village network and the month counter (``tick`` changes after every step)."""
    labels = [t(key) for key in STATUS_KEYS]
    p = model.params
    with solara.Card(t("network_title"), style={"width": "100%"}):
        solara.Text(t("month_counter", n=model.month_index), classes=["month-counter"])
        names = ("wage_home_multiplier", "wage_ru_multiplier", "wage_kz_multiplier", "rub_per_usd_multiplier")
        x = {name: number(getattr(p, name), 2, trim=True) for name in names}
        solara.Markdown(t("settings_now", households=model.state.n, p_job=percent(p.p_job_home_tj),
                          home=x["wage_home_multiplier"], ru=x["wage_ru_multiplier"],
                          kz=x["wage_kz_multiplier"], rub=x["rub_per_usd_multiplier"],
                          net=number(p.beta_network, 1, trim=True),
                          ban=percent(p.hazard_ru_after_law, 1)))  # fmt: skip
        origins = [t(f"country_{code}") for code in ORIGINS]

        def show(code: str) -> None:
            """Show one origin (or all); the household up close becomes one of its households."""
            shown_origin.set(code)
            if code == "all":
                return
            mine = np.flatnonzero(model.state.origin == ORIGINS.index(code))
            if int(selected.value) not in mine:
                selected.set(int(mine[0]))

        solara.ToggleButtonsSingle(**by_label(place_options(ORIGINS), shown_origin.value, show),
                                   classes=["origin-choice"])  # fmt: skip
        origin = None if shown_origin.value == "all" else ORIGINS.index(shown_origin.value)
        solara.Image(network_png(model, selected.value, labels, origins, origin), width="100%")


@solara.component
def SharesView(model: WorkshopModel, tick: int, previous):
    """Live shares by destination, and this month's in words."""
    labels = {name: t(name) for name in SHARE_COLOURS}
    suffix = "" if shown_origin.value == "all" else f"_{shown_origin.value}"
    shares = _shares(model.datacollector.get_model_vars_dataframe(), suffix).iloc[-1]
    place = place_name(shown_origin.value)
    with solara.Card(f"{t('shares_title')} ({place})", style={"width": "100%"}):
        solara.Image(shares_png(model, labels, t("month_counter", n=""), previous, t("previous_run"), suffix),
                     width="100%")  # fmt: skip
        solara.Text(t("shares_now", n=model.month_index, home=percent(shares.share_home),
                      ru=percent(shares.share_ru), kz=percent(shares.share_kz),
                      banned=percent(shares.share_banned)), classes=["shares-now"])  # fmt: skip
        if previous is not None:
            solara.Text(t("previous_note"), style={"color": "#666", "display": "block", "margin-top": "6px"})


def member_text(person: dict, k: int) -> str:
    """One member's situation, utilities and probabilities in plain words."""
    ban = ""
    if person["banned"]:
        ban = t("ban_known") if person["ban_known"] else t("ban_unknown")
    p, u, pay = person["p"], person["u"], person["pay"]
    sex = t("female" if person["sex"] else "male")
    line = t("member_line", k=k + 1, sex=sex, age=t(f"age_{person['age']}"),
             where=t(f"where_{person['loc']}"), ban=ban, p_home=percent(p[0]), p_ru=percent(p[1]),
             p_kz=percent(p[2]), u_home=number(u[0], 2), u_ru=number(u[1], 2),
             u_kz=number(u[2], 2))  # fmt: skip
    why = t("member_why", home=number(pay[0]), ru=number(pay[1]), kz=number(pay[2]),
            net_ru=person["net_ru"], pull_ru=number(person["pull_ru"], 2),
            closed="" if person["ru_open"] else t("russia_closed"))  # fmt: skip
    return f"{line}\n\n{why}"


@solara.component
def HouseholdView(model: WorkshopModel, tick: int):
    """Pick a household: its members, contacts, utilities and probabilities this month."""
    if shown_origin.value == "all":
        households = list(range(model.state.n))
    else:
        households = np.flatnonzero(model.state.origin == ORIGINS.index(shown_origin.value)).tolist()
    chosen = int(selected.value) if int(selected.value) in households else households[0]
    info = model.explain(chosen)
    share = f"{info['contacts_ru']}/{info['contacts']}" if info["contacts"] else "0"
    with solara.Card(t("household_title"), style={"width": "100%"}):
        solara.Select(t("household_pick"), values=households, value=chosen, on_value=selected.set)
        solara.Markdown(t("household_summary", id=chosen, origin=t(f"country_{info['origin']}"),
                          size=info["size"], members=info["members"], contacts=info["contacts"],
                          c_ru=info["contacts_ru"], c_kz=info["contacts_kz"],
                          aware=t("aware_yes") if info["aware"] else t("aware_no")))  # fmt: skip
        for k, person in enumerate(info["people"]):
            solara.Markdown(member_text({**person, "net_ru": share}, k))


@solara.component
def Controls(settings: solara.Reactive, applied: dict, ready: bool, playing: solara.Reactive,
             on_step: Callable[[], None], on_reset: Callable[[], None]):  # fmt: skip
    """Step / Play / Reset and one labelled slider per :data:`SLIDERS` entry, its value in words."""
    with solara.Card(t("controls_title"), style={"width": "100%"}):
        with solara.Row(style={"flex-wrap": "wrap", "margin-bottom": "12px"}):
            solara.Button(t("step"), on_click=on_step, disabled=not ready or playing.value, color="primary")
            solara.Button(t("pause") if playing.value else t("play"), disabled=not ready,
                          on_click=lambda: playing.set(not playing.value))  # fmt: skip
            solara.Button(t("reset"), on_click=on_reset, disabled=not ready)
        for spec in SLIDERS:
            value = settings.value[spec.name]

            def set_value(x, name=spec.name, integer=spec.integer):
                settings.set({**settings.value, name: int(x) if integer else float(x)})

            with solara.Column(gap="0px", classes=["workshop-slider"], style={"width": "100%"}):
                solara.Text(f"{t(spec.name)}: {spec.show(value)}", classes=["slider-label"])
                kind = solara.SliderInt if spec.integer else solara.SliderFloat
                kind("", value=value, min=spec.low, max=spec.high, step=spec.step, on_value=set_value)
        if settings.value != applied:
            solara.Text(t("press_reset"), classes=["pending-note"], style={"color": "#b9770e"})


@solara.component
def Page():
    """Workshop: a village in a stationary world; sliders take effect on Reset."""
    settings = solara.use_reactive(default_settings())  # the sliders
    applied = solara.use_reactive(default_settings())  # the current village's
    builds = solara.use_reactive(0)  # Resets so far: a new village each
    tick = solara.use_reactive(0)  # steps so far: pictures redraw on it
    playing = solara.use_reactive(False)
    previous = solara.use_reactive(None)  # shares of the run before the last Reset
    step_lock = solara.use_memo(threading.Lock, [])

    built = solara.use_thread(lambda: build_village(applied.value), dependencies=[builds.value],
                              intrusive_cancel=False)  # fmt: skip
    model = built.value if built.state == solara.ResultState.FINISHED else None

    def advance() -> bool:
        with step_lock:
            if model is None or not model.running:
                return False
            model.step()
        tick.set(tick.value + 1)
        return True

    def play(cancel: threading.Event) -> None:
        if not playing.value or model is None:
            return
        while not cancel.wait(PLAY_INTERVAL_S):
            if not advance():
                playing.set(False)
                return

    solara.use_thread(play, dependencies=[playing.value, model], intrusive_cancel=False)

    def reset() -> None:
        playing.set(False)
        if model is not None and model.month_index > 0:
            previous.set(model.datacollector.get_model_vars_dataframe().copy())
        applied.set(dict(settings.value))
        builds.set(builds.value + 1)

    solara.Title(t("workshop_title"))
    LanguageSwitch()
    solara.Markdown(f"## {t('workshop_title')}\n{t('workshop_intro')}")
    with solara.Columns([3, 5, 5]):
        Controls(settings, applied.value, model is not None, playing, advance, reset)
        if built.state == solara.ResultState.ERROR:
            solara.Error(t("village_failed", error=str(built.error)))
        elif model is None:
            with solara.Card(t("network_title"), style={"width": "100%"}):
                solara.ProgressLinear(True)
                solara.Text(t("preparing"), classes=["workshop-preparing"])
        else:
            NetworkView(model, tick.value)
        if model is not None:
            with solara.Column(style={"width": "100%"}):
                SharesView(model, tick.value, previous.value)
                HouseholdView(model, tick.value)
