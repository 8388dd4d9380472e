"""``migsim assets`` and ``migsim dashboard``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from sim.cli.app import app

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _importable() -> None:
    """Make ``dashboards`` importable from the project (an older editable install maps only ``sim``)."""
    try:
        import dashboards  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(PROJECT_ROOT))


@app.command()
def assets(
    dir: Path = typer.Option(None, "--dir", help="Cache folder (default <project>/.assets/solara-cdn)."),
) -> None:
    """Fill the dashboard's asset cache from the npm registry (once; skips what is there)."""
    _importable()
    from dashboards.assets import DEFAULT_CACHE, fill_cache, folder_size

    cache = dir or DEFAULT_CACHE
    for spec, status in fill_cache(cache):
        typer.echo(f"{status:8} {spec}")
    typer.echo(f"asset cache {cache}: {folder_size(cache) / 1e6:.0f} MB")


@app.command()
def dashboard(
    port: int = typer.Option(8765, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    results: Path = typer.Option(Path("results"), help="Results root the research page may list."),
    assets_dir: Path = typer.Option(None, "--assets-dir", help="Asset cache (default: as `migsim assets`)."),
) -> None:
    """Serve the dashboard: what-if (/), workshop (/workshop), research (/research)."""
    _importable()
    from dashboards.assets import DEFAULT_CACHE
    from dashboards.server import check, command, environment

    cache = assets_dir or DEFAULT_CACHE
    check(host, port, cache)
    if host not in LOOPBACK:
        typer.echo(f"warning: listening on {host}: anyone who can reach it can use the dashboard", err=True)
    typer.echo(f"dashboard on http://{host}:{port}/ (results root {results.resolve()}); Ctrl-C stops it")
    try:
        code = subprocess.call(command(host, port), env=environment(results, cache))
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
