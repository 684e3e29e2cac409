"""The papermill runner on small notebooks: success, a failing cell named, a hanging cell stopped."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from course_tools.author import code, md, parameters, write
from course_tools.cli import main
from course_tools.run import run_course


def test_runner_executes_injects_parameters_and_writes_html(tmp_path):
    check_params = "from course_lib.utils import fast_mode\nassert fast_mode(FAST) is True\n"
    nb = write(tmp_path / "01_ok.ipynb", [md("# Tiny"), parameters(),
                                          code(check_params +
                                               "assert SEED == 7\nprint('ran')")])
    results = run_course(fast=True, seed=7, out_dir=tmp_path / "build", notebooks=[nb])
    assert [r.ok for r in results] == [True], results[0].error
    assert (tmp_path / "build" / "html").rglob("*.html")
    assert (tmp_path / "build" / "timings.txt").read_text().count("01_ok.ipynb") == 1


def test_runner_names_the_failing_cell(tmp_path, capsys):
    nb = write(tmp_path / "02_bad.ipynb", [parameters(), code("x = 1"), code("raise ValueError('boom at cell')")])
    results = run_course(fast=True, out_dir=tmp_path / "build", notebooks=[nb], html=False)
    assert not results[0].ok
    assert "ValueError: boom at cell" in results[0].error
    assert "`raise ValueError('boom at cell')`" in results[0].error
    assert "FAILED" in capsys.readouterr().err


def test_runner_stops_a_hanging_cell(tmp_path):
    nb = write(tmp_path / "03_hang.ipynb", [parameters(), code("import time\ntime.sleep(600)")])
    results = run_course(fast=True, out_dir=tmp_path / "build", notebooks=[nb], html=False, cell_timeout=3)
    assert not results[0].ok and results[0].seconds < 60
    assert "Timeout" in results[0].error or "timed out" in results[0].error.lower()


def test_course_command_exits_nonzero_on_failure(tmp_path):
    nb = write(tmp_path / "04_bad.ipynb", [parameters(), code("1 / 0")])
    proc = subprocess.run([sys.executable, "-m", "course_tools.cli", "run", "--no-html",
                           "--out", str(tmp_path / "b"), str(nb)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "ZeroDivisionError" in proc.stderr + proc.stdout


@pytest.mark.parametrize("args,message", [
    (["--only", ""], "--only: needs at least one chapter number"),
    (["--only", " , "], "--only: needs at least one chapter number"),
    (["--only", "1,x"], "--only: takes chapter numbers"),
    (["--only", "09"], "no chapter 09"),
    (["--cell-timeout", "0"], "--cell-timeout: must be at least 1, got 0"),
    (["--cell-timeout", "-5"], "--cell-timeout: must be at least 1, got -5"),
    (["--cell-timeout", "1.5"], "--cell-timeout: must be a whole number of seconds"),
    (["--jobs", "0"], "--jobs: must be at least 1, got 0"),
    (["--jobs", "-2"], "--jobs: must be at least 1, got -2"),
    (["--seed", "-1"], "--seed: must be at least 0"),
    (["no_such_notebook.ipynb"], "no such notebook: no_such_notebook.ipynb"),
])
def test_course_run_refuses_bad_arguments_before_running_anything(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as stop:
        main(["run", "--out", str(tmp_path / "b"), *args])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_course_run_refuses_an_out_that_is_a_file(tmp_path, capsys):
    nb = write(tmp_path / "01_ok.ipynb", [parameters(), code("x = 1")])
    (tmp_path / "b").write_text("not a folder")
    with pytest.raises(SystemExit):
        main(["run", "--out", str(tmp_path / "b"), str(nb)])
    assert "exists and is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs,message", [
    ({"only": set()}, "only: an empty set"), ({"jobs": 0}, "jobs must be"), ({"jobs": 1.5}, "jobs must be"),
    ({"cell_timeout": 0}, "cell_timeout must be"), ({"cell_timeout": -1}, "cell_timeout must be"),
])
def test_run_course_refuses_bad_arguments(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        run_course(out_dir=tmp_path, notebooks=[tmp_path / "01_x.ipynb"], **kwargs)


def test_a_failure_never_points_at_an_executed_copy_that_does_not_exist(tmp_path, capsys):
    nb = write(tmp_path / "05_flaky.ipynb", [parameters(), code("x = 1")])
    [ok] = run_course(out_dir=tmp_path / "build", notebooks=[nb], html=False)
    assert ok.ok and Path(ok.output).is_file()
    nb.write_text("{not json")  # now papermill cannot even read it: no executed copy this time
    [bad] = run_course(out_dir=tmp_path / "build", notebooks=[nb], html=False)
    assert not bad.ok and bad.output == ""
    assert not Path(ok.output).exists(), "the previous run's copy would be mistaken for this run's"
    err = capsys.readouterr().err
    assert "no executed copy was written" in err and "executed copy with the traceback" not in err

    write(tmp_path / "05_flaky.ipynb", [parameters(), code("raise RuntimeError('late')")])
    [late] = run_course(out_dir=tmp_path / "build", notebooks=[nb], html=False)
    assert not late.ok and Path(late.output).is_file() and "RuntimeError" in Path(late.output).read_text()
    assert f"executed copy with the traceback: {late.output}" in capsys.readouterr().err


def test_learner_wait_benchmark_writes_every_cells_time(tmp_path, capsys):
    import json

    from test_build import tiny_course

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import learner_wait
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    course = tiny_course(tmp_path / "course", chapters=("08", "09"))
    write(course / "solutions" / "09_demo.ipynb", [parameters(), code("x = 1"), code("import time\ntime.sleep(0.3)"),
                                                   md("text"), code("\n\ny = x + 1")])
    out = tmp_path / "wait.json"
    assert learner_wait.main(["--root", str(course), "--fast", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["mode"] == "FAST" and [n["notebook"] for n in doc["notebooks"]] == ["solutions/08_demo.ipynb",
                                                                                   "solutions/09_demo.ipynb"]
    nine = doc["notebooks"][1]
    lines = [c["first_line"] for c in nine["cells"]]
    assert lines[-3:] == ["x = 1", "import time", "y = x + 1"]  # every code cell, markdown left out
    assert all(c["seconds"] is not None and c["seconds"] >= 0 for n in doc["notebooks"] for c in n["cells"])
    times = [c["seconds"] for c in doc["slowest"]]
    n_cells = sum(len(n["cells"]) for n in doc["notebooks"])
    assert times == sorted(times, reverse=True) and len(times) == min(10, n_cells)
    assert nine["cells"][lines.index("import time")]["seconds"] >= 0.3  # the sleep is measured, not made up
    assert "slowest cells (FAST mode)" in capsys.readouterr().out
