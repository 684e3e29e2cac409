"""The papermill runner on small notebooks: success, a failing cell named, a hanging cell stopped."""

import subprocess
import sys

from course_tools.author import code, md, parameters, write
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
