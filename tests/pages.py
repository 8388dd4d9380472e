"""Helpers for the dashboard's in-process tests (``solara.render``): the widgets a page shows, and waiting
for its threads. The fixtures ``kernel_context`` and ``english`` are in ``conftest.py``."""

from __future__ import annotations

import time

import ipyvuetify as v


def texts(rc, class_: str) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html, class_=class_).widgets]


def widgets(root):
    """``root`` and every widget below it, depth first."""
    yield root
    for child in getattr(root, "children", None) or []:
        if not isinstance(child, str):
            yield from widgets(child)


def with_class(root, name: str) -> list:
    """Every widget under ``root`` whose CSS classes include ``name`` (find() matches whole values)."""
    return [w for w in widgets(root) if name in (getattr(w, "class_", "") or "").split()]


PATIENCE_S = 300.0
"""Seconds a test waits for the page to get somewhere: a bound on a hang, not a time anything takes.

Every wait polls and returns once the page is there; only a page that never
gets there waits this long (a newcomer's first run: cold numba cache, busy cores).
"""


def wait_until(condition, timeout: float) -> None:
    """Poll ``condition`` until it holds (the page redraws in its own threads); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        time.sleep(0.05)


def rendered_text(root) -> str:
    """Every string a page shows: texts, labels, select items, Markdown, as one blob."""
    parts = []
    for widget in widgets(root):
        parts += [getattr(widget, name, None) for name in ("label", "hint", "placeholder", "title", "md")]
        template = getattr(widget, "template", None)
        parts.append(template if isinstance(template, str) else getattr(template, "template", None))
        parts += [str(item) for item in getattr(widget, "items", None) or []]
        parts += [child for child in getattr(widget, "children", None) or [] if isinstance(child, str)]
    return "\n".join(p for p in parts if isinstance(p, str))
