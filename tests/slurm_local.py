"""A one-node Slurm on this machine, for the cluster test (Debian's slurm-wlm and munge, as root).

:func:`start` writes a minimal ``slurm.conf`` for this host, starts
``munged``, ``slurmctld`` and ``slurmd``, and waits until ``sinfo`` shows
the node idle; :func:`stop` ends the daemons it started. Nothing listens
beyond this host. ``make slurm`` installs the packages.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

MISSING = [
    name for name in ("munged", "slurmctld", "slurmd", "sinfo", "sbatch") if shutil.which(name) is None
]


def why_not() -> str | None:
    """Why a local Slurm cannot run here (None if it can)."""
    if MISSING:
        return f"Slurm is not installed ({', '.join(MISSING)} missing): run `make slurm`"
    if os.geteuid() != 0:
        return "starting slurmctld and slurmd needs root"
    return None


@dataclass
class LocalSlurm:
    """The daemons of a running one-node Slurm."""

    root: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)


def _first_job_id() -> int:
    """A job number no earlier local Slurm on this machine handed out.

    A ``slurmstepd`` of a previous test run can outlive its daemons and report
    on "job 2" to the next controller, which then fails its own job 2 (seen on
    4 Dec 2026 when two test runs followed each other within two minutes):
    numbering each start's jobs from the clock keeps such reports from
    matching. Slurm's default ``MaxJobId`` is 67,043,328.
    """
    return 1000 + int(time.time()) % 60_000_000


def _conf(host: str, root: Path) -> str:
    cpus = os.cpu_count() or 2
    with open("/proc/meminfo") as handle:
        total_kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    memory = int(total_kb / 1024 * 0.9)
    return "\n".join([
        "ClusterName=migsim-test", f"SlurmctldHost={host}", "SlurmUser=root", "AuthType=auth/munge",
        f"FirstJobId={_first_job_id()}",
        f"StateSaveLocation={root}/state", f"SlurmdSpoolDir={root}/spool",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none", "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core_Memory",
        "ReturnToService=2", f"SlurmctldLogFile={root}/slurmctld.log", f"SlurmdLogFile={root}/slurmd.log",
        f"SlurmctldPidFile={root}/slurmctld.pid", f"SlurmdPidFile={root}/slurmd.pid", "MpiDefault=none",
        "SchedulerType=sched/backfill", "JobAcctGatherType=jobacct_gather/none",
        f"NodeName={host} CPUs={cpus} RealMemory={memory} State=UNKNOWN",
        f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP",
    ]) + "\n"  # fmt: skip


def start(root: Path, timeout: float = 60.0) -> LocalSlurm:
    """Configure and start munge and Slurm; return once the node is idle."""
    host = socket.gethostname().split(".")[0]
    for sub in ("state", "spool"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    Path("/etc/slurm").mkdir(exist_ok=True)
    Path("/etc/slurm/slurm.conf").write_text(_conf(host, root))
    for folder in ("/etc/munge", "/var/lib/munge", "/var/log/munge", "/run/munge"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "munge", "munge")
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        shutil.chown(key, "munge", "munge")
    cluster = LocalSlurm(root)
    subprocess.run(["runuser", "-u", "munge", "--", "munged", "--force"], check=True)
    subprocess.run(["slurmctld"], check=True)
    subprocess.run(["slurmd"], check=True)
    for name in ("slurmctld", "slurmd"):
        pid_file = root / f"{name}.pid"
        deadline = time.monotonic() + timeout
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_file.exists():
            cluster.pids.append(int(pid_file.read_text().split()[0]))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True).stdout.strip()
        if state.startswith("idle") or state.startswith("mix"):
            return cluster
        time.sleep(0.5)
    stop(cluster)
    raise RuntimeError(f"the Slurm node did not become idle within {timeout:.0f} s (state {state!r})")


def stop(cluster: LocalSlurm) -> None:
    """End the Slurm daemons this test started (munged stays: it holds no port)."""
    subprocess.run(["scancel", "--user", "root"], capture_output=True)
    for pid in cluster.pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    _wait_for_steps_to_end()


def _wait_for_steps_to_end(patience: float = 60.0) -> None:
    """Wait until no ``slurmstepd`` is left on this machine, so none speaks to a later controller."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if subprocess.run(["pgrep", "-x", "slurmstepd"], capture_output=True).returncode != 0:
            return
        time.sleep(0.2)
