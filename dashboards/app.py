"""The migsim dashboard: ``solara run dashboards/app.py`` (or ``migsim dashboard``).

Four pages: what-if (``/``), workshop (``/workshop``), research (``/research``), what drove it (``/drove``),
each with the language switch.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `solara run dashboards/app.py` puts only dashboards/ on the path
    sys.path.insert(0, str(ROOT))

import solara  # noqa: E402

from dashboards import drove, research, whatif, workshop  # noqa: E402
from dashboards.i18n import t  # noqa: E402

WARM_UP_ENV = "MIGSIM_WARM_UP"  # "1" in the server that `migsim dashboard` starts (dashboards.server)


def _warm_up() -> None:
    """In the background: compile (or load) the kernels, then, in the server, run the what-if baseline.

    With the baseline's members already run, the first Run only runs the
    scenario (``migsim bench --whatif`` measures the difference). Only the
    server started by ``migsim dashboard`` (:data:`WARM_UP_ENV`) does the
    second part: tests that import this module do not pay for it.
    """
    import logging
    import os

    from sim.model import MigrationModel

    MigrationModel(households=30, seed=0, until="2010-02")
    if os.environ.get(WARM_UP_ENV) != "1":
        return
    try:
        whatif.warm_up()
    except Exception:  # a failed warm-up only costs the first Run its head start
        logging.getLogger(__name__).exception("warming the what-if baseline failed")


threading.Thread(target=_warm_up, name="migsim-warm-up", daemon=True).start()

PAGES = (("/", "nav_whatif", whatif.Page), ("workshop", "nav_workshop", workshop.Page),
         ("research", "nav_research", research.Page), ("drove", "nav_drove", drove.Page))  # fmt: skip


@solara.component
def Layout(children=[]):  # noqa: B006  (solara's signature)
    """AppLayout with navigation buttons in the app bar (labels follow the language)."""
    route, routes = solara.use_route()
    with solara.AppLayout(title=t("app_title"), navigation=False, children=children):
        with solara.AppBar():
            for path, key, _ in PAGES:
                with solara.Link(path if path == "/" else f"/{path}"):
                    solara.Button(t(key), text=True, dark=True,
                                  outlined=route is not None and route.path == path)  # fmt: skip


routes = [solara.Route(path=path, component=page, label=key, layout=Layout if k == 0 else None)
          for k, (path, key, page) in enumerate(PAGES)]  # fmt: skip
