"""Solara's front-end assets, fetched from the npm registry into a folder the project owns.

Solara 1.64 asks a public CDN for its front-end files and caches them under
``SOLARA_ASSETS_PROXY_CACHE_DIR``. Filling that cache ahead of time with
``npm pack`` makes the dashboard work where no CDN can be reached: each spec is
unpacked (its leading ``package/`` folder stripped) into ``CACHE/SPEC/``,
named exactly as Solara requests it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.errors import InputError

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = PROJECT_ROOT / ".assets" / "solara-cdn"

# The packages Solara 1.64.1 requests with ipyvue < 2 (see STACK.md, "Solara offline").
SPECS = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "mermaid@10.8.0",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
    "katex@0.16.9",  # Solara's math renderer, requested by every page (a 404 and a script error without it)
)


def is_filled(cache: Path, spec: str) -> bool:
    """True if ``spec`` is unpacked in ``cache`` (a non-empty folder)."""
    folder = cache / spec
    return folder.is_dir() and any(folder.iterdir())


def missing(cache: Path = DEFAULT_CACHE) -> list[str]:
    """The specs not yet in the cache."""
    return [spec for spec in SPECS if not is_filled(Path(cache), spec)]


def _unpack(tarball: Path, dest: Path) -> None:
    """Extract ``tarball`` into ``dest`` without its first path component."""
    with tarfile.open(tarball, "r:gz") as archive:
        members = []
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) < 2:
                continue
            member.name = str(Path(*parts[1:]))
            members.append(member)
        archive.extractall(dest, members=members, filter="data")


def fetch(spec: str, cache: Path, npm: str, run: Callable = subprocess.run) -> None:
    """``npm pack`` one spec and unpack it into ``cache/spec`` (atomically: via a temporary folder)."""
    dest = cache / spec
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".pack-") as tmp:
        done = run([npm, "pack", spec, "--silent"], cwd=tmp, capture_output=True, text=True)
        if done.returncode != 0:
            raise InputError(f"npm pack {spec} failed: {done.stderr.strip().splitlines()[-1:]}")
        names = [line.strip() for line in done.stdout.splitlines() if line.strip().endswith(".tgz")]
        if not names:
            raise InputError(f"npm pack {spec}: no tarball reported")
        staging = Path(tmp) / "unpacked"
        _unpack(Path(tmp) / names[-1], staging)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)


def fill_cache(cache: Path = DEFAULT_CACHE, npm: str | None = None,
               run: Callable = subprocess.run) -> list[tuple[str, str]]:  # fmt: skip
    """Fetch every missing spec into ``cache``.

    Returns
    -------
    list of (spec, status)
        ``status`` is ``"present"`` (skipped) or ``"fetched"``.

    Raises
    ------
    InputError
        If npm is not installed, or a fetch fails.
    """
    cache = Path(cache)
    todo = missing(cache)
    report = [(spec, "present") for spec in SPECS if spec not in todo]
    if not todo:
        return report
    npm = npm or shutil.which("npm")
    if npm is None:
        raise InputError(
            "npm is not installed; install Node.js and npm (Debian: apt-get install -y npm), "
            "then run `migsim assets` again"
        )
    cache.mkdir(parents=True, exist_ok=True)
    for spec in todo:
        log.info("fetching %s", spec)
        fetch(spec, cache, npm, run)
        report.append((spec, "fetched"))
    return report


def folder_size(path: Path) -> int:
    """Bytes in the files under ``path``."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
