"""Batch experiments on Dask: identity across workers, resume, faults, bad specs.

Sizes are tiny (800-1,500 households, a few months, a 6-month spin-up via a
test scenario that extends the baseline). Every process a test starts runs in
its own process group and is killed by group in teardown.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.batch import load_spec, read_results, read_runs, summarize
from sim.batch.runner import pack_scenario, run_batch, unpack_scenario
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
PYTHON = sys.executable
CLI = [PYTHON, "-c", "from sim.cli import main; main()"]
WORKER_ENV = {**os.environ, "NUMBA_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}

SCENARIOS = {
    "short.toml": f'[scenario]\nname = "short"\nextends = "{BASELINE}"\nspinup_months = 6\n',
    "short_jobs.toml": '[scenario]\nname = "short_jobs"\nextends = "short.toml"\n'
                       "[behaviour]\np_job_ru = 0.6\n",
}  # fmt: skip
SPEC = """\
[batch]
scenarios = ["short.toml", "short_jobs.toml"]
seeds = {seeds}
seed = 11
households = {households}
until = "{until}"
{extra}
[design]
method = "grid"
[design.parameters]
beta_network = [1.0, 3.0]
{debug}
"""


def write_spec(folder: Path, name: str = "spec.toml", seeds: int = 2, households: int = 800,
               until: str = "2010-04", extra: str = "", debug: str = "") -> Path:  # fmt: skip
    for file, text in SCENARIOS.items():
        (folder / file).write_text(text)
    path = folder / name
    path.write_text(SPEC.format(seeds=seeds, households=households, until=until, extra=extra, debug=debug))
    return path


def start_group(args: list[str], log: Path) -> subprocess.Popen:
    """A process in its own process group (killed by group, so no child survives)."""
    with log.open("wb") as handle:
        return subprocess.Popen(args, cwd=ROOT, env=WORKER_ENV, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def batch_command(spec: Path, out: Path, *options: str) -> list[str]:
    """``migsim batch SPEC --out OUT OPTIONS -q`` as a command line."""
    return [*CLI, "batch", str(spec), "--out", str(out), *options, "-q"]


def wait_for_parts(out: Path, count: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list((out / "results").glob("part-*.parquet"))) >= count:
            return
        if process.poll() is not None:
            pytest.fail(f"the batch ended (status {process.returncode}) before {count} result files")
        time.sleep(0.02)
    pytest.fail(f"no {count} result files within {timeout} s")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("batch")


@pytest.fixture(scope="module")
def spec_path(folder) -> Path:
    return write_spec(folder)


@pytest.fixture(scope="module")
def reference(folder, spec_path) -> pd.DataFrame:
    """The small spec run with one local worker, three runs per task."""
    report = run_batch(load_spec(spec_path), folder / "ref", workers=1, runs_per_task=3)
    assert (report.done, report.failed, report.tasks) == (8, 0, 3)
    return read_results(folder / "ref")


@pytest.fixture(scope="module")
def scheduler(folder):
    """A Dask scheduler and two workers on 127.0.0.1, started like a user would."""
    file = folder / "scheduler.json"
    command = [PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
               "--no-dashboard", "--scheduler-file", str(file)]  # fmt: skip
    procs = [start_group(command, folder / "scheduler.log")]
    try:
        deadline = time.monotonic() + 30
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        import json

        address = json.loads(file.read_text())["address"]
        for k in range(2):
            procs.append(start_worker(address, folder / f"worker{k}.log"))
        from dask.distributed import Client

        with Client(address) as client:
            client.wait_for_workers(2, timeout=30)
        yield address
    finally:
        for process in procs:
            kill_group(process)


def start_worker(address: str, log: Path, name: str | None = None) -> subprocess.Popen:
    named = ["--name", name] if name else []
    return start_group([PYTHON, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
                        "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard", *named], log)  # fmt: skip


def test_scenarios_travel_as_data_not_paths(spec_path):
    spec = load_spec(spec_path)
    scenario = spec.scenarios[1]
    packed = pickle.loads(pickle.dumps(pack_scenario(scenario)))
    assert unpack_scenario(packed) == scenario
    assert scenario.parameters["p_job_ru"] == 0.6  # the parent chain is resolved before sending
    assert not any(isinstance(v, Path) for v in packed.values())


def test_one_and_two_workers_give_identical_tables(folder, spec_path, reference, scheduler):
    """One embedded worker, three runs a task (the reference) against two workers, one run a task."""
    report = run_batch(load_spec(spec_path), folder / "two", scheduler=scheduler, runs_per_task=1)
    assert (report.done, report.failed, report.tasks) == (8, 0, 8)
    pd.testing.assert_frame_equal(read_results(folder / "two"), reference)
    # one table: keys, design parameter, indicators; 2 scenarios x 2 points x 2 seeds x 4 months x 3 origins
    assert {"run_id", "scenario", "seed", "point", "beta_network", "migrants_ru", "date"} <= set(reference)
    assert len(reference) == 8 * 4 * 3
    assert pd.read_parquet(folder / "two" / "results").shape == reference.shape
    # common random numbers: replicate k has the same seed in every scenario and point
    assert reference.groupby("replicate")["seed"].nunique().eq(1).all()
    assert reference["seed"].nunique() == 2
    # the design parameter reaches the model: a stronger network pull, more migrants to Russia
    last = reference[reference["date"] == reference["date"].max()]
    by_point = last.groupby("beta_network")["migrants_ru"].sum()
    assert by_point[3.0] > by_point[1.0]


def test_finished_batch_is_not_rerun_and_changed_spec_is_refused(folder, spec_path, reference):
    again = run_batch(load_spec(spec_path), folder / "ref", workers=1)
    assert (again.skipped, again.done, again.tasks) == (8, 0, 0)
    changed = write_spec(folder, "changed.toml", seeds=3)
    with pytest.raises(InputError, match="changed.*use a new --out directory"):
        run_batch(load_spec(changed), folder / "ref", workers=1)
    # the scenario behind the spec changing also changes the identity
    edited = folder / "edited"
    edited.mkdir()
    path = write_spec(edited)
    before = load_spec(path).identity()
    (edited / "short_jobs.toml").write_text(SCENARIOS["short_jobs.toml"].replace("0.6", "0.65"))
    assert load_spec(path).identity() != before


def test_failed_run_is_recorded_and_the_rest_complete(folder, reference, scheduler):
    spec = load_spec(write_spec(folder, "fail.toml", debug="[debug]\nfail_runs = [1, 6]"))
    report = run_batch(spec, folder / "fail", scheduler=scheduler, runs_per_task=4)
    assert (report.done, report.failed) == (6, 2)
    runs = read_runs(folder / "fail").set_index("run_id")
    assert runs.loc[[1, 6], "status"].eq("failed").all()
    assert runs.loc[1, "error"].startswith("RuntimeError: run 1 failed on purpose")
    assert runs.drop(index=[1, 6])["status"].eq("done").all()
    kept = reference[~reference["run_id"].isin([1, 6])].reset_index(drop=True)
    pd.testing.assert_frame_equal(read_results(folder / "fail"), kept)


def test_external_scheduler_runs_a_spec_from_the_cli(folder, spec_path, reference, scheduler):
    out = folder / "cli"
    done = subprocess.run(batch_command(spec_path, out, "--scheduler", scheduler),
                          cwd=ROOT, env=WORKER_ENV, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "8 runs done, 0 failed" in done.stdout
    pd.testing.assert_frame_equal(read_results(out), reference)
    written, chart = summarize(out)
    table = pd.read_parquet(written)
    assert written == out / "summary.parquet" and chart.stat().st_size > 10_000
    assert table["runs"].eq(2).all()
    assert (table["p05"] <= table["mean"] + 1e-9).all() and (table["mean"] <= table["p95"] + 1e-9).all()
    national = table[(table["origin"] == "all") & (table["indicator"] == "migrants_ru")]
    assert len(national) == 2 * 2 * 4  # scenarios x points x months


@pytest.fixture(scope="module")
def long_spec(folder) -> Path:
    """More, slower runs (24 at 1,500 households), long enough to be cut mid-batch."""
    return write_spec(folder, "long.toml", seeds=6, households=1500, until="2011-12",
                      extra="runs_per_task = 1")  # fmt: skip


@pytest.fixture(scope="module")
def long_reference(folder, long_spec, scheduler) -> pd.DataFrame:
    report = run_batch(load_spec(long_spec), folder / "long_ref", scheduler=scheduler)
    assert (report.done, report.failed) == (24, 0)
    return read_results(folder / "long_ref")


def test_worker_killed_mid_batch_loses_no_run(folder, long_spec, long_reference, scheduler):
    """A third worker joins, is killed (as a process group) while it computes a task; nothing is lost."""
    from dask.distributed import Client

    victim = start_worker(scheduler, folder / "victim.log", name="victim")
    out = folder / "kill"
    try:
        with Client(scheduler) as client:
            client.wait_for_workers(3, timeout=30)
            workers = client.scheduler_info(n_workers=-1)["workers"]
            address = next(a for a, w in workers.items() if str(w["name"]).startswith("victim"))
            batch = start_group(batch_command(long_spec, out, "--scheduler", scheduler), folder / "kill.log")
            deadline = time.monotonic() + 60
            while not client.processing(workers=[address]).get(address):
                assert batch.poll() is None and time.monotonic() < deadline, "the victim never got a task"
                time.sleep(0.01)
            kill_group(victim)
        assert batch.wait(timeout=120) == 0, (folder / "kill.log").read_text()
    finally:
        kill_group(victim)
    runs = read_runs(out)
    assert runs["status"].eq("done").all()
    pd.testing.assert_frame_equal(read_results(out), long_reference)


def test_interrupted_batch_resumes_to_the_same_table(folder, long_spec, long_reference, scheduler):
    """The CLI with its embedded cluster, killed as a process group; resumed on the warm scheduler."""
    out = folder / "interrupted"
    batch = start_group(batch_command(long_spec, out, "--workers", "1"), folder / "interrupted.log")
    try:
        wait_for_parts(out, 1, batch)
    finally:
        kill_group(batch)
    kept = len(list((out / "results").glob("part-*.parquet")))
    assert 1 <= kept < 24, "the batch should have been cut before its end"
    report = run_batch(load_spec(long_spec), out, scheduler=scheduler)
    assert report.skipped == kept and report.done == 24 - kept
    pd.testing.assert_frame_equal(read_results(out), long_reference)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_cleanly_and_keeps_finished_runs(folder, scheduler):
    """SIGINT to the command's process group, as a terminal sends it; 400 runs planned, few done.

    The batch must still be running when the signal arrives: at 1,500 households
    to 2012-12 the 400 runs take tens of seconds, the first result a second or two.
    """
    spec = write_spec(folder, "longer.toml", seeds=100, households=1500, until="2012-12",
                      extra="runs_per_task = 1")  # fmt: skip
    out = folder / "ctrl_c"
    command = batch_command(spec, out, "--scheduler", scheduler)
    pipe = subprocess.PIPE
    # a shell that starts the test suite in the background (`cmd &`) hands every child an
    # ignored SIGINT, and Python keeps it ignored: give the batch a terminal's default
    batch = subprocess.Popen(command, cwd=ROOT, env=WORKER_ENV, stdout=pipe, stderr=pipe, text=True,
                             start_new_session=True, preexec_fn=_default_sigint)  # fmt: skip
    try:
        wait_for_parts(out, 1, batch)
        os.killpg(batch.pid, signal.SIGINT)
        _, stderr = batch.communicate(timeout=60)
    finally:
        kill_group(batch)
    assert batch.returncode == 130, stderr
    assert "interrupted; finished runs are kept" in stderr and "Traceback" not in stderr
    runs = pd.read_parquet(out / "runs.parquet")  # the run list is saved on the way out
    done = set(read_results(out)["run_id"])
    assert set(runs.loc[runs["status"] == "done", "run_id"]) == done
    assert runs["status"].isin(["done", "pending"]).all() and 1 <= len(done) < 400


BAD_SPECS = [
    ("[batch]\nscenarios = ['short.toml']\nseeds = 2\nhouseholds = 800\n[design]\nmethod = 'grid'\n"
     "[design.parameters]\nbeta_nework = [1.0]\n", "beta_nework", "unknown parameter"),
    ("[batch]\nscenarios = ['short.toml']\nseeds = 2\nhouseholds = 800\n[design]\nmethod = 'lhs'\n"
     "points = 4\n[design.parameters]\nbeta_network = [3.0, 1.0]\n", "beta_network", "reversed"),
    ("[batch]\nscenarios = ['short.toml']\nseeds = 2\nhouseholds = 800\n[design]\nmethod = 'sobol'\n"
     "points = 4\n[design.parameters]\nbeta_network = [1.0, 9.0]\n", "beta_network", "allowed [0, 8]"),
    ("[batch]\nscenarios = ['short.toml']\nseeds = 0\nhouseholds = 800\n", "seeds", "from 1"),
    ("[batch]\nscenarios = ['short.toml']\nseeds = 1\nhouseholds = 800\n[design]\nmethod = 'factorial'\n",
     "method", "allowed: grid, lhs, sobol, morris"),
    ("[batch]\nscenarios = ['missing.toml']\nseeds = 1\nhouseholds = 800\n", "scenarios", "does not exist"),
    ("[batch]\nscenarios = ['short.toml']\nseeds = 1\nhouseholds = 800\nuntil = '2031-01'\n", "until",
     "outside"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "words"), BAD_SPECS)
def test_bad_spec_is_refused_before_any_work(tmp_path, text, key, words):
    write_spec(tmp_path)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert str(path) in message and key in message and words in message


def test_bad_spec_exits_2_through_the_cli_and_writes_nothing(tmp_path):
    write_spec(tmp_path)
    path = tmp_path / "bad.toml"
    path.write_text(BAD_SPECS[3][0])
    done = subprocess.run([*CLI, "batch", str(path), "--out", str(tmp_path / "out")], cwd=ROOT,
                          env=WORKER_ENV, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("migsim: error:") and "seeds" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_sampled_designs_have_salib_sizes_and_stay_in_bounds(tmp_path):
    write_spec(tmp_path)
    head = "[batch]\nscenarios = ['short.toml']\nseeds = 1\nhouseholds = 800\n"
    params = "[design.parameters]\nbeta_network = [1.0, 3.0]\nrisk_aversion = [0.1, 0.5]\n"
    sizes = {"method = 'lhs'\npoints = 5": 5, "method = 'sobol'\npoints = 4": 4 * (2 * 2 + 2),
             "method = 'morris'\npoints = 3\nlevels = 4": 3 * (2 + 1)}  # fmt: skip
    for design, expected in sizes.items():
        path = tmp_path / "design.toml"
        path.write_text(f"{head}[design]\n{design}\nseed = 5\n{params}")
        spec = load_spec(path)
        assert spec.points.shape == (expected, 2)
        assert spec.points[:, 0].min() >= 1.0 and spec.points[:, 0].max() <= 3.0
        assert spec.points[:, 1].min() >= 0.1 and spec.points[:, 1].max() <= 0.5
        assert load_spec(path).identity() == spec.identity()  # sampler seeded: same design, same identity


def test_smoke_spec_loads():
    spec = load_spec(ROOT / "scenarios" / "batches" / "smoke.toml")
    assert len(spec.scenarios) == 2 and spec.seeds == 2 and 2 <= spec.n_points <= 6
    assert spec.households <= 10_000


def test_summarize_refuses_a_folder_that_is_not_a_batch(tmp_path):
    with pytest.raises(InputError, match="not a batch directory"):
        summarize(tmp_path)


@pytest.mark.slow
def test_smoke_batch_amnesty_lowers_the_ban_stock(folder):
    """The shipped smoke spec through the CLI on two embedded workers; the 2025 amnesty lowers the
    banned stock at every point and seed."""
    out = folder / "smoke"
    command = batch_command(ROOT / "scenarios" / "batches" / "smoke.toml", out, "--workers", "2")
    done = subprocess.run(command, cwd=ROOT, env=WORKER_ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "16 runs done, 0 failed" in done.stdout
    table = read_results(out)
    after = table[table["date"] >= "2025-03-01"]
    banned = after.groupby(["scenario", "point", "replicate"])["banned"].mean().unstack("scenario")
    assert (banned["ban_amnesty"] < banned["baseline"]).all()
    before = table[table["date"] < "2025-01-01"]  # common random numbers: identical before the amnesty
    keys = ["point", "replicate", "date", "origin"]
    pivot = before.pivot_table(index=keys, columns="scenario", values="banned")
    assert (pivot["ban_amnesty"] == pivot["baseline"]).all()


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(folder, spec_path, reference):
    from sim.batch.store import writer_lock

    with writer_lock(folder / "ref"):
        with pytest.raises(InputError, match="another batch is writing to it.*pid"):
            run_batch(load_spec(spec_path), folder / "ref", workers=1)
    # released: the finished batch is seen as finished again
    assert run_batch(load_spec(spec_path), folder / "ref", workers=1).skipped == 8


def test_damaged_or_duplicated_parts_are_reported_not_summed(folder, reference):
    import shutil

    copy = folder / "damaged"
    shutil.copytree(folder / "ref", copy, ignore=shutil.ignore_patterns(".lock"))
    parts = sorted((copy / "results").glob("part-*.parquet"))
    data = bytearray(parts[0].read_bytes())
    start = 64  # inside the first data page (the footer at the end holds the schema and metadata)
    data[start : start + 16] = bytes(b ^ 0xFF for b in data[start : start + 16])
    parts[0].write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"{parts[0].name}: damaged or truncated.*delete this file"):
        read_results(copy)
    twice = folder / "twice"
    shutil.copytree(folder / "ref", twice, ignore=shutil.ignore_patterns(".lock"))
    first = sorted((twice / "results").glob("part-*.parquet"))[0]
    shutil.copy(first, first.with_name("part-9999998-9999999.parquet"))
    with pytest.raises(InputError, match="stored more than once"):
        read_results(twice)


def test_a_damaged_batch_json_is_one_line(folder, spec_path, reference):
    import shutil

    copy = folder / "bad_marker"
    shutil.copytree(folder / "ref", copy, ignore=shutil.ignore_patterns(".lock"))
    (copy / "batch.json").write_text('{"identity": ')
    with pytest.raises(InputError, match="batch.json: damaged batch identity.*new --out"):
        run_batch(load_spec(spec_path), copy, workers=1)
