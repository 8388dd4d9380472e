"""The ``migsim run`` command: a happy path and every bad-input path (exit 2, one line)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main
from sim.results import read_metadata


def call(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
        raise SystemExit(0)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


@pytest.fixture
def short_scenario(tmp_path, baseline_path):
    path = tmp_path / "short.toml"
    path.write_text(f'[scenario]\nextends = "{baseline_path}"\nspinup_months = 6\n')
    return path


def test_run_writes_results_chart_and_provenance(tmp_path, short_scenario, capsys):
    out = tmp_path / "res.parquet"
    code, stdout, _ = call(
        ["run", str(short_scenario), "-n", "600", "--until", "2011-06", "--out", str(out)], capsys
    )
    assert code == 0
    assert "migrants_ru" in stdout and "wrote" in stdout
    frame = pd.read_parquet(out)
    assert len(frame) == 18 * 3 and {"date", "origin", "remittances_gdp_pct"} <= set(frame)
    assert out.with_suffix(".png").stat().st_size > 10_000
    meta = read_metadata(out)
    assert meta["seed"] == 0 and meta["households"] == 600
    assert meta["scenario"]["lineage"][-1].endswith("short.toml")
    assert "data_vintage" in meta and "code_version" in meta


def test_run_by_region_and_sex_annual_csv(tmp_path, short_scenario, capsys):
    out = tmp_path / "res.csv"
    argv = ["run", str(short_scenario), "-n", "600", "--until", "2011-12", "--by", "region,sex",
            "--annual", "--out", str(out)]  # fmt: skip
    code, _, _ = call(argv, capsys)
    assert code == 0
    frame = pd.read_csv(out)
    assert {"year", "origin", "region", "sex", "months"} <= set(frame)
    assert read_metadata(out)["by"] == ["region", "sex"]


BAD = [
    (["run", "missing.toml"], "missing.toml: scenario file not found"),
    (["run", "{bad}"], "not valid TOML"),
    (["run", "{unknown}"], "unknown key 'colour'"),
    (["run", "{range}"], "beta_income = -3 is out of range"),
    (["run", "{ok}", "--out", "/nonexistent/dir/x.parquet"], "does not exist"),
    (["run", "{ok}", "--out", "{tmp}/x.xlsx"], "unknown format"),
    (["run", "{ok}", "--engine", "gpu"], "engine = 'gpu'"),
    (["run", "{ok}", "-n", "1"], "--households 1"),
    (["run", "{ok}", "--until", "2031-01"], "outside the scenario's horizon"),
    (["run", "{ok}", "--until", "2012-13"], "not a month"),
    (["run", "{ok}", "--by", "colour"], "--by 'colour'"),
    (["run", "{ok}", "--by", "status"], "--by status needs --status-month"),
    (["run", "{ok}", "--by", "status", "--status-month", "2031-01"], "status_month = '2031-01'; allowed"),
    (["run", "{ok}", "--threads", "99"], "--threads 99"),
]


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path, short_scenario, capsys):
    files = {
        "bad": "[scenario\nname=",
        "unknown": '[scenario]\nname = "x"\nstart = "2010-01"\nend = "2011-01"\ncolour = "red"\n',
        "range": f'[scenario]\nextends = "{short_scenario}"\n[behaviour]\nbeta_income = -3\n',
    }
    paths = {"ok": str(short_scenario), "tmp": str(tmp_path)}
    for name, text in files.items():
        (tmp_path / f"{name}.toml").write_text(text)
        paths[name] = str(tmp_path / f"{name}.toml")
    argv = [a.format(**paths) for a in argv]
    before = set(tmp_path.iterdir())
    code, _, err = call(argv, capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert set(tmp_path.iterdir()) == before  # nothing half-written


def test_console_script_bad_input(tmp_path):
    """The installed ``migsim`` script: exit status 2, one line on stderr."""
    script = [sys.executable, "-c", "from sim.cli import main; main()"]
    proc = subprocess.run([*script, "run", str(tmp_path / "nope.toml")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "scenario file not found" in proc.stderr


@pytest.mark.parametrize(
    "argv, words",
    [
        (["run", "scenarios/baseline.toml", "--households", "many"], ("--households", "integer")),
        (["run", "scenarios/baseline.toml", "--no-such-option"], ("--no-such-option",)),
        (["run"], ("scenario",)),
        (["no-such-command"], ("no-such-command",)),
        (["run", "scenarios/baseline.toml", "--driver-path", "rosy"], ("--driver-path", "low, central")),
    ],
)
def test_parser_errors_are_one_line_with_exit_2(argv, words, capsys, tmp_path):
    if argv[0] == "run" and len(argv) > 1:
        argv = [*argv, "--out", str(tmp_path / "x.parquet")]
    code, out, err = call(argv, capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("migsim: error:")
    for word in words:
        assert word.lower() in err.lower()
    assert not (tmp_path / "x.parquet").exists()


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--seed", "-1"], ("seed", "2**64")),
        (["--seed", str(2**64)], ("seed", "2**64")),
        (["-n", "1000000000"], ("households", "30,000,000")),
        (["--until", "0000-01"], ("--until", "1900")),
    ],
)
def test_out_of_range_inputs_are_refused_before_any_work(extra, words, capsys, tmp_path):
    out = tmp_path / "x.parquet"
    code, _, err = call(["run", "scenarios/baseline.toml", *extra, "--out", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert all(word in err for word in words)
    assert list(tmp_path.iterdir()) == []


def test_outputs_that_are_folders_or_read_only_are_refused(capsys, tmp_path):
    (tmp_path / "r.png").mkdir()
    code, _, err = call(["run", "scenarios/baseline.toml", "--out", str(tmp_path / "r.parquet")], capsys)
    assert code == 2 and "r.png is a directory" in err and not (tmp_path / "r.parquet").exists()
    locked = tmp_path / "locked.csv"
    locked.write_text("kept\n")
    locked.chmod(0o444)
    code, _, err = call(["run", "scenarios/baseline.toml", "--out", str(locked)], capsys)
    assert code == 2 and "read-only" in err and locked.read_text() == "kept\n"


def test_a_long_extends_chain_is_one_line(capsys, tmp_path, baseline_path):
    parent = baseline_path
    for k in range(40):
        path = tmp_path / f"s{k}.toml"
        path.write_text(f'[scenario]\nextends = "{parent}"\n')
        parent = path
    code, _, err = call(["run", str(parent), "--out", str(tmp_path / "x.parquet")], capsys)
    assert code == 2 and "extends" in err and len(err.strip().splitlines()) == 1


def test_calibration_options_are_checked_before_any_run(capsys, tmp_path):
    code, _, err = call(["calibrate", "--out", str(tmp_path / "c"), "--budget", "0"], capsys)
    assert code == 2 and "--budget" in err and not (tmp_path / "c").exists()


def test_ctrl_c_is_one_line_exit_130_and_writes_nothing(tmp_path):
    """SIGINT to a long run, as a terminal sends it: one line on stderr, status 130, no table.

    The signal is sent once the month progress bar shows, so that it lands while the model steps
    (the common case) and not while numba compiles on a cold cache, where llvmlite can swallow it.
    """
    import signal
    import threading

    out = tmp_path / "big.parquet"
    command = [sys.executable, "-c", "from sim.cli import main; main()", "run", "scenarios/baseline.toml",
               "-n", "3000000", "--out", str(out)]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    err_parts: list[str] = []
    stepping = threading.Event()

    def read_stderr() -> None:
        while chunk := run.stderr.read(1):
            err_parts.append(chunk)
            if "month" in "".join(err_parts[-64:]):
                stepping.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    while not stepping.wait(1.0):  # compiling and building take minutes on a cold, busy machine
        assert run.poll() is None, "the run ended before the signal: " + "".join(err_parts)
    run.send_signal(signal.SIGINT)
    run.wait(timeout=600)
    reader.join(timeout=60)
    err = "".join(err_parts)
    assert run.returncode == 130, err
    lines = [line for line in err.splitlines() if line.startswith("migsim:")]
    assert len(lines) == 1 and "interrupted" in lines[0] and "Traceback" not in err, repr(err[-400:])
    assert not out.exists() and not out.with_suffix(".png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
