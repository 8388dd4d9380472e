"""The workshop's model: a few hundred households of the mesa engine in a world that stands still.

:func:`stationary_scenario` holds every driver series at one month's value and
puts that month's rules in force from the start (the 2013 ban law, Kazakh
permits, Kyrgyzstan in the EAEU), with no seasonal cycle, so only the sliders
change the world. :class:`WorkshopModel` takes the sliders as constructor
keywords, as Mesa's SolaraViz requires to rebuild it on Reset.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import kernels as k
from sim.data import ORIGINS
from sim.model import MigrationModel
from sim.months import parse_month
from sim.network import Network
from sim.params import Parameters
from sim.scenario import DRIVER_VARIABLES, DriverChange, Event, Scenario

WORKSHOP_MONTH = "2019-06"
HORIZON_MONTHS = 240
STATUS_HOME, STATUS_RU, STATUS_KZ, STATUS_BANNED = 0, 1, 2, 3


def stationary_scenario(month: str = WORKSHOP_MONTH, months: int = HORIZON_MONTHS) -> Scenario:
    """Drivers held at ``month``'s values, that month's rules in force, ``months`` long."""
    from sim.drivers import base_drivers

    start = parse_month(month, "month")
    drivers = base_drivers(start, 1)
    changes = []
    for variable, per_origin in DRIVER_VARIABLES.items():
        series = getattr(drivers, variable)
        if per_origin:
            changes += [DriverChange(variable, c, start, None, value=float(series[0, o]))
                        for o, c in enumerate(ORIGINS)]  # fmt: skip
        else:
            changes.append(DriverChange(variable, None, start, None, value=float(series[0])))
    events = (
        Event("ban_law", (("date", start),)),
        Event("kz_permits", (("from", start),)),
        Event("eaeu_accession", (("country", "KG"), ("date", start))),
    )
    return Scenario(name="workshop", title=f"Stationary world of {month}", start=start,
                    end=start + months - 1, spinup_months=0, parameters=Parameters(),
                    drivers=tuple(changes), events=events)  # fmt: skip


SHARES = ("share_home", "share_ru", "share_kz", "share_banned")


def member_shares(model: MigrationModel, origin: int | None = None) -> dict[str, float]:
    """Shares of working-age members at home, in Russia, in Kazakhstan, banned (at home).

    ``origin`` (an index of :data:`sim.data.ORIGINS`) keeps one origin's households; None: all.
    """
    s = model.state
    used = np.arange(k.MAX_MEMBERS)[None, :] < s.n_members[:, None]
    if origin is not None:
        used &= (s.origin == origin)[:, None]
    loc = s.m_loc[used]
    banned = (s.m_ban_until[used] > model.step_counter) & (loc == k.HOME)
    n = max(int(used.sum()), 1)
    return {
        "share_home": float((loc == k.HOME).sum() / n),
        "share_ru": float((loc == k.RUSSIA).sum() / n),
        "share_kz": float((loc == k.KAZAKHSTAN).sum() / n),
        "share_banned": float(banned.sum() / n),
    }


def household_status(model: MigrationModel) -> np.ndarray:
    """Per household: someone in Russia (1), else in Kazakhstan (2), else banned (3), else home (0)."""
    s = model.state
    used = np.arange(k.MAX_MEMBERS)[None, :] < s.n_members[:, None]
    in_ru = ((s.m_loc == k.RUSSIA) & used).any(axis=1)
    in_kz = ((s.m_loc == k.KAZAKHSTAN) & used).any(axis=1)
    banned = ((s.m_ban_until > model.step_counter) & used).any(axis=1)
    return np.select([in_ru, in_kz, banned], [STATUS_RU, STATUS_KZ, STATUS_BANNED], STATUS_HOME)


class WorkshopModel(MigrationModel):
    """A village of the mesa engine in a stationary world; every slider is a keyword.

    Parameters
    ----------
    households, seed : int
    p_job_home : float
        Monthly chance of paid work at home, all three origins (push).
    wage_home_multiplier : float
        Home wages (push).
    wage_ru_multiplier, wage_kz_multiplier, rub_per_usd_multiplier : float
        Wages in Russia and Kazakhstan, roubles per dollar (pull).
    beta_network : float
        Pull of contacts abroad.
    hazard_ru_after_law : float
        Monthly chance an irregular worker in Russia is caught and banned.
    month : str
        The month whose drivers and rules hold.
    """

    def __init__(
        self,
        households: int = 300,
        seed: int = 1,
        p_job_home: float = 0.45,
        wage_home_multiplier: float = 1.0,
        wage_ru_multiplier: float = 1.0,
        wage_kz_multiplier: float = 1.0,
        rub_per_usd_multiplier: float = 1.0,
        beta_network: float = 2.0,
        hazard_ru_after_law: float = 0.015,
        month: str = WORKSHOP_MONTH,
    ):
        super().__init__(
            scenario=stationary_scenario(month), households=int(households), seed=int(seed), engine="mesa",
            p_job_home_tj=p_job_home, p_job_home_kg=p_job_home, p_job_home_uz=p_job_home,
            wage_home_multiplier=wage_home_multiplier, wage_ru_multiplier=wage_ru_multiplier,
            wage_kz_multiplier=wage_kz_multiplier, rub_per_usd_multiplier=rub_per_usd_multiplier,
            beta_network=beta_network, hazard_ru_after_law=hazard_ru_after_law, season_amplitude=0.0,
        )  # fmt: skip
        self.graph = Network(self.state.indptr, self.state.neighbours).to_networkx()
        self._layout = None
        self._origin_layouts: dict[int, dict] = {}
        reporters = {name: (lambda m, name=name: member_shares(m)[name]) for name in SHARES}
        for o, code in enumerate(ORIGINS):  # the same for each origin: "share_ru_TJ", ...
            reporters.update({f"{name}_{code}": (lambda m, name=name, o=o: member_shares(m, o)[name])
                              for name in SHARES})  # fmt: skip
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    @property
    def layout(self) -> dict[int, np.ndarray]:
        """Positions of the households (computed once): each origin's ties laid out on their own.

        Households tie only within their origin; laid out together, the
        three origins drift apart into small clusters. Here each origin's own
        layout (:meth:`origin_layout`) is scaled with the square root
        of its household count (at least 0.6 of the largest), on a fixed spot
        (two above, one below).
        """
        if self._layout is None:
            origin = self.state.origin
            largest = max(int((origin == o).sum()) for o in range(len(ORIGINS)))
            layout = {}
            for o, centre in enumerate(((-1.0, 1.0), (1.0, 1.0), (0.0, -1.1))):
                count = int((origin == o).sum())
                if not count:
                    continue
                scale = 0.95 * max(0.6, np.sqrt(count / largest))  # small origins stay readable
                layout.update({i: np.asarray(centre) + scale * xy for i, xy in self.origin_layout(o).items()})
            self._layout = layout
        return self._layout

    def origin_layout(self, origin: int) -> dict[int, np.ndarray]:
        """Positions of one origin's households alone, filling the picture (computed once per origin)."""
        import networkx as nx

        if origin not in self._origin_layouts:
            members = np.flatnonzero(self.state.origin == origin).tolist()
            ties = self.graph.subgraph(members)
            self._origin_layouts[origin] = nx.spring_layout(ties, seed=self.seed_value, iterations=80)
        return self._origin_layouts[origin]

    def explain(self, household: int) -> dict:
        """Members, contacts, and each member's utilities and probabilities this month.

        Returns
        -------
        dict
            ``origin, size, members, contacts, contacts_ru, contacts_kz, aware`` and
            ``people``: one dict per member with ``sex, age, loc, banned, ban_known,
            u (home, ru, kz), p (home, ru, kz), pay (home, ru, kz), pull_ru``.
        """
        s = self.state
        i = int(household)
        o = int(s.origin[i])
        row = self.month_row[o]  # the month the households used last
        step = self.step_counter
        neighbours = s.neighbours[s.indptr[i] : s.indptr[i + 1]]
        degree = len(neighbours)
        c_ru, c_kz = int(s.contacts[i, k.RUSSIA - 1]), int(s.contacts[i, k.KAZAKHSTAN - 1])
        share_ru = c_ru / degree if degree else 0.0
        share_kz = c_kz / degree if degree else 0.0
        n_abroad = int((s.m_loc[i, : s.n_members[i]] != k.HOME).sum())
        skill = float(s.skill[i]) / 255.0
        skill_factor = 0.8 + 0.4 * skill
        people = []
        for m in range(int(s.n_members[i])):
            loc = int(s.m_loc[i, m])
            banned = bool(s.m_ban_until[i, m] > step)
            known = bool(s.m_ban_known[i, m])
            returnee = int(loc == k.HOME and step - int(s.m_returned[i, m]) < row[k.RETURNEE_MONTHS])
            others = n_abroad - (1 if loc != k.HOME else 0)
            u = k.member_utilities(row, skill, int(s.m_sex[i, m]), int(s.m_age[i, m]), loc, int(others),
                                   (share_ru, share_kz), int(s.aware[i]), returnee)  # fmt: skip
            open_options = [True] + [k.is_open(row, d, loc, banned, int(known)) for d in range(k.N_DEST)]
            ru_open = open_options[k.RUSSIA]
            p = k.option_probabilities(u, open_options)
            p_job = k.home_job_chance(row, returnee)
            people.append({
                "sex": int(s.m_sex[i, m]), "age": int(s.m_age[i, m]), "loc": loc,
                "banned": banned, "ban_known": known, "ru_open": bool(ru_open),
                "u": tuple(float(x) for x in u), "p": tuple(float(x) for x in p),
                "pay": (float(p_job * row[k.W_HOME_USD]),
                        float(row[k.W_RU_USD] * row[k.WAGE_RATIO] * skill_factor),
                        float(row[k.W_KZ_USD] * row[k.WAGE_RATIO] * skill_factor)),
                "pull_ru": float(row[k.BETA_NETWORK] * share_ru),
            })  # fmt: skip
        return {
            "origin": ORIGINS[o], "size": int(s.size[i]), "members": int(s.n_members[i]),
            "contacts": degree, "contacts_ru": c_ru, "contacts_kz": c_kz, "aware": bool(s.aware[i]),
            "neighbours": [int(j) for j in neighbours], "people": people,
        }  # fmt: skip
