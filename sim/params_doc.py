"""The generated tables of ``docs/model.md``: parameters from :data:`sim.params.SPECS`, indicators
from :data:`sim.indicators.REGISTRY`.

``python -m sim.params_doc`` rewrites both tables in place; tests check that
the shipped document matches, so a changed default, source, unit or
definition cannot go undocumented.
"""

from __future__ import annotations

from pathlib import Path

from sim.indicators import REGISTRY
from sim.params import SPECS

MODEL_DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"
HEADER = "| name | default | unit | range | group | prior (calibrated) | source | meaning |"
INDICATOR_HEADER = (
    "| column | definition | from the kernel's counters | unit | kind | over a year | over origins | grade |"
)
ACROSS_WORDS = {"sum": "sum", "households": "mean weighted by households", "gdp": "sum over the sum of GDP"}


def table_lines() -> list[str]:
    """The markdown rows of every parameter: default, unit, range, group, prior, source, meaning."""
    lines = [HEADER, "|---|---|---|---|---|---|---|---|"]
    for s in SPECS.values():
        prior = f"U({s.prior[0]:g}, {s.prior[1]:g})" if s.prior else "-"
        lines.append(f"| `{s.name}` | {s.default:g} | {s.unit} | [{s.low:g}, {s.high:g}] | {s.group} "
                     f"| {prior} | {s.source} | {s.description} |")  # fmt: skip
    return lines


def indicator_lines() -> list[str]:
    """The markdown rows of every indicator: definition, counters, unit, kind, how it combines, grade."""
    lines = [INDICATOR_HEADER, "|---|---|---|---|---|---|---|---|"]
    for i in REGISTRY.values():
        lines.append(f"| `{i.name}` | {i.definition} | {i.source} | {i.unit} | {i.kind} | {i.over_year} "
                     f"| {ACROSS_WORDS[i.across]} | {i.grade} |")  # fmt: skip
    return lines


def current_table(text: str, header: str = HEADER) -> tuple[int, int]:
    """Start and end line indices of the table that begins with ``header`` (to the first non-row)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return start, end


def rewrite(path: Path = MODEL_DOC) -> None:
    """Replace both tables in ``path`` with the generated ones."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for header, generated in ((HEADER, table_lines()), (INDICATOR_HEADER, indicator_lines())):
        start, end = current_table("\n".join(lines), header)
        lines = lines[:start] + generated + lines[end:]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    rewrite()
    calibrated = [s for s in SPECS.values() if s.calibrated]
    assert {"demand_elasticity", "eaeu_wage_premium", "uz_recorded_share"} <= {s.name for s in calibrated}
    for spec in calibrated:
        low, high = spec.prior
        assert spec.low <= low < high <= spec.high and spec.prior_source, spec.name
