"""The parameter table of ``docs/model.md``, generated from :data:`sim.params.SPECS`.

``python -m sim.params_doc`` rewrites the table in place; a test checks that
the shipped document matches, so a changed default or source cannot go
undocumented.
"""

from __future__ import annotations

from pathlib import Path

from sim.params import SPECS

MODEL_DOC = Path(__file__).resolve().parents[1] / "docs" / "model.md"
HEADER = "| name | default | unit | range | group | prior (calibrated) | source | meaning |"


def table_lines() -> list[str]:
    """The markdown rows of every parameter: default, unit, range, group, prior, source, meaning."""
    lines = [HEADER, "|---|---|---|---|---|---|---|---|"]
    for s in SPECS.values():
        prior = f"U({s.prior[0]:g}, {s.prior[1]:g})" if s.prior else "-"
        lines.append(f"| `{s.name}` | {s.default:g} | {s.unit} | [{s.low:g}, {s.high:g}] | {s.group} "
                     f"| {prior} | {s.source} | {s.description} |")  # fmt: skip
    return lines


def current_table(text: str) -> tuple[int, int]:
    """Start and end line indices of the parameter table in ``text`` (the header to the first non-row)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| name | default | unit |"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return start, end


def rewrite(path: Path = MODEL_DOC) -> None:
    """Replace the table in ``path`` with the generated one."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start, end = current_table("\n".join(lines))
    path.write_text("\n".join(lines[:start] + table_lines() + lines[end:]) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    rewrite()
