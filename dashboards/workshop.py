"""The workshop page (``/workshop``): a live village on Mesa's SolaraViz.

SolaraViz supplies Step / Play / Reset and the sliders (it rebuilds the
model as ``WorkshopModel(**params)`` on Reset); the components below draw the
village network, the shares by destination and one household's members with
their utilities and probabilities this month, in plain words.
"""

from __future__ import annotations

import io

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from dashboards.i18n import LanguageSwitch, t
from dashboards.village import WorkshopModel, household_status

COLOURS = ("#9e9e9e", "#c0392b", "#2471a3", "#111111")  # home, Russia, Kazakhstan, banned
STATUS_KEYS = ("legend_home", "legend_ru", "legend_kz", "legend_banned")
SHARE_COLOURS = {"share_home": COLOURS[0], "share_ru": COLOURS[1], "share_kz": COLOURS[2],
                 "share_banned": COLOURS[3]}  # fmt: skip
selected = solara.reactive(0)  # the household shown up close (per session)


def model_params() -> dict:
    """SolaraViz sliders: constructor keywords of :class:`WorkshopModel`, labels in the session's language."""

    def slider(value, low, high, step, kind="SliderFloat"):
        return {"type": kind, "value": value, "min": low, "max": high, "step": step}

    params = {
        "households": slider(300, 100, 600, 50, "SliderInt"),
        "seed": slider(1, 0, 20, 1, "SliderInt"),
        "p_job_home": slider(0.45, 0.05, 0.95, 0.05),
        "wage_home_multiplier": slider(1.0, 0.25, 4.0, 0.25),
        "wage_ru_multiplier": slider(1.0, 0.25, 4.0, 0.25),
        "wage_kz_multiplier": slider(1.0, 0.25, 4.0, 0.25),
        "rub_per_usd_multiplier": slider(1.0, 0.5, 3.0, 0.1),
        "beta_network": slider(2.0, 0.0, 8.0, 0.5),
        "hazard_ru_after_law": slider(0.015, 0.0, 0.1, 0.005),
    }
    for name, spec in params.items():
        spec["label"] = t(name)
    return params


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def network_png(model: WorkshopModel, chosen: int, labels: list[str]) -> bytes:
    """The village drawn with networkx spring positions, households coloured by status."""
    import networkx as nx
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(6.0, 5.2), dpi=80, layout="constrained")
    ax = fig.subplots()
    pos = model.layout
    status = household_status(model)
    nx.draw_networkx_edges(model.graph, pos, ax=ax, alpha=0.12, width=0.6)
    nx.draw_networkx_nodes(model.graph, pos, ax=ax, node_size=36,
                           node_color=[COLOURS[s] for s in status], linewidths=0)  # fmt: skip
    if 0 <= chosen < model.state.n:
        nx.draw_networkx_nodes(model.graph, pos, nodelist=[chosen], ax=ax, node_size=140,
                               node_color=[COLOURS[status[chosen]]], edgecolors="#f1c40f",
                               linewidths=2.5)  # fmt: skip
    handles = [Line2D([], [], marker="o", ls="", color=c, label=lab)
               for c, lab in zip(COLOURS, labels, strict=True)]  # fmt: skip
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.8)
    ax.set_axis_off()
    return _png(fig)


def shares_png(model: WorkshopModel, labels: dict[str, str], xlabel: str) -> bytes:
    """Shares of working-age members by place, month by month."""
    from matplotlib.figure import Figure

    frame = model.datacollector.get_model_vars_dataframe()
    fig = Figure(figsize=(6.4, 3.6), dpi=80, layout="constrained")
    ax = fig.subplots()
    for name, colour in SHARE_COLOURS.items():
        if name != "share_home":
            ax.plot(frame.index, 100 * frame[name], color=colour, lw=1.8, label=labels[name])
    ax.set_ylabel("%")
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(12, len(frame) - 1))
    ax.set_ylim(0, max(10.0, 100 * float(frame[["share_ru", "share_kz", "share_banned"]].max().max()) * 1.15))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _png(fig)


def percent(x: float) -> str:
    return f"{100 * x:.0f}%"


@solara.component
def NetworkView(model):
    """The village network and the month counter."""
    update_counter.get()
    labels = [t(key) for key in STATUS_KEYS]
    p = model.params
    with solara.Card(t("network_title"), style={"width": "100%"}):
        solara.Text(t("month_counter", n=model.month_index), classes=["month-counter"])
        solara.Markdown(t("settings_now", households=model.state.n, p_job=percent(p.p_job_home_tj),
                          home=f"{p.wage_home_multiplier:g}", ru=f"{p.wage_ru_multiplier:g}",
                          kz=f"{p.wage_kz_multiplier:g}", rub=f"{p.rub_per_usd_multiplier:g}",
                          net=f"{p.beta_network:g}", ban=f"{100 * p.hazard_ru_after_law:.1f}%"))  # fmt: skip
        solara.Image(network_png(model, selected.value, labels), width="100%")


@solara.component
def SharesView(model):
    """Live shares by destination, and this month's in words."""
    update_counter.get()
    labels = {name: t(name) for name in SHARE_COLOURS}
    shares = model.datacollector.get_model_vars_dataframe().iloc[-1]
    with solara.Card(t("shares_title"), style={"width": "100%"}):
        solara.Image(shares_png(model, labels, t("month_counter", n="")), width="100%")
        solara.Text(t("shares_now", n=model.month_index, home=percent(shares.share_home),
                      ru=percent(shares.share_ru), kz=percent(shares.share_kz),
                      banned=percent(shares.share_banned)), classes=["shares-now"])  # fmt: skip


def member_text(person: dict, k: int) -> str:
    """One member's situation, utilities and probabilities in plain words."""
    ban = ""
    if person["banned"]:
        ban = t("ban_known") if person["ban_known"] else t("ban_unknown")
    p, u, pay = person["p"], person["u"], person["pay"]
    sex = t("female" if person["sex"] else "male")
    line = t("member_line", k=k + 1, sex=sex, age=t(f"age_{person['age']}"),
             where=t(f"where_{person['loc']}"), ban=ban, p_home=percent(p[0]), p_ru=percent(p[1]),
             p_kz=percent(p[2]), u_home=f"{u[0]:.2f}", u_ru=f"{u[1]:.2f}", u_kz=f"{u[2]:.2f}")  # fmt: skip
    why = t("member_why", home=f"{pay[0]:.0f}", ru=f"{pay[1]:.0f}", kz=f"{pay[2]:.0f}",
            net_ru=person["net_ru"], pull_ru=f"{person['pull_ru']:.2f}",
            closed="" if person["ru_open"] else t("russia_closed"))  # fmt: skip
    return f"{line}\n\n{why}"


@solara.component
def HouseholdView(model):
    """Pick a household: its members, contacts, utilities and probabilities this month."""
    update_counter.get()
    n = model.state.n
    chosen = min(max(int(selected.value), 0), n - 1)
    info = model.explain(chosen)
    share = f"{info['contacts_ru']}/{info['contacts']}" if info["contacts"] else "0"
    with solara.Card(t("household_title"), style={"width": "100%"}):
        solara.Select(t("household_pick"), values=list(range(n)), value=chosen, on_value=selected.set)
        solara.Markdown(t("household_summary", id=chosen, origin=t(f"country_{info['origin']}"),
                          size=info["size"], members=info["members"], contacts=info["contacts"],
                          c_ru=info["contacts_ru"], c_kz=info["contacts_kz"],
                          aware=t("aware_yes") if info["aware"] else t("aware_no")))  # fmt: skip
        for k, person in enumerate(info["people"]):
            solara.Markdown(member_text({**person, "net_ru": share}, k))


@solara.component
def SidePanel(model):
    """Shares and the household, stacked: one grid item, so nothing overlaps below it."""
    with solara.Column(style={"width": "100%"}):
        SharesView(model)
        HouseholdView(model)


@solara.component
def Page():
    """Workshop: a village in a stationary world, on Mesa's SolaraViz."""
    model = solara.use_memo(WorkshopModel, [])
    solara.Title(t("workshop_title"))
    LanguageSwitch()
    solara.Markdown(f"## {t('workshop_title')}\n{t('workshop_intro')}")
    SolaraViz(model, components=[(NetworkView, 0), (SidePanel, 0)],
              model_params=model_params(), name=t("workshop_title"), play_interval=400)  # fmt: skip
