"""What a learner sees in the notebook (real kernel, via nbclient): a failed check prints a few lines and
no traceback of the checker; a check whose answer cell did not compile names the SyntaxError and its line;
every other NameError keeps IPython's usual traceback; a pass stays one line."""

import re

import nbformat
import pytest

from course_lib.checks._core import answer_cell_problem

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_answer_cell_problem_finds_the_newest_defining_cell():
    broken = "def energy(W, states, b=None):\n    return (W\n"
    fixed = "def energy(W, states, b=None):\n    return W\n"
    assert answer_cell_problem(["x = 1", broken], "energy").startswith(
        "your answer cell for energy has a SyntaxError at line 2")
    assert answer_cell_problem([broken, fixed], "energy") is None
    assert answer_cell_problem(["def energy(W):\n  x = 1\n    return x\n"], "energy").startswith(
        "your answer cell for energy has a IndentationError at line 3")
    assert answer_cell_problem(["y = 2"], "energy") is None


@pytest.fixture(scope="module")
def executed():
    from nbclient import NotebookClient

    cells = [
        "import numpy as np\nfrom course_lib.checks import ch01 as check",
        "def energy(W, states, b=None):\n    s = np.asarray(states, dtype=float)\n    return (s @ W\n",
        "check.energy(energy)",
        "def energy(W, states, b=None):\n    s = np.asarray(states, dtype=float)\n"
        "    return -np.sum((s @ W.T) * s, axis=-1) - (0 if b is None else s @ b)\n",
        "check.energy(energy)",
        "def local_field(W, states, b=None):\n    h = np.asarray(states, dtype=float) @ W.T\n"
        "    return h if b is None else h + b\n",
        "check.local_field(local_field)",
        "not_defined_anywhere + 1",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, allow_errors=True, kernel_name="python3", timeout=120).execute()
    return nb.cells


def _error(cell):
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1, cell.outputs
    return errors[0]


def test_check_cell_names_the_syntax_error_of_its_answer_cell(executed):
    err = _error(executed[2])
    assert err.ename == "NameError"          # still an error: nbval and `course check` see the cell fail
    assert err.evalue.startswith("your answer cell for energy has a SyntaxError at line 3")
    assert len(err.traceback) == 1 and "not defined" not in ANSI.sub("", err.traceback[0])


def test_failed_check_prints_a_few_lines_and_no_checker_traceback(executed):
    err = _error(executed[4])
    text = ANSI.sub("", "\n".join(err.traceback))
    assert err.ename == "CheckFailed" and text.startswith("[fail] energy: 0/5 hidden cases passed.")
    assert "factor 1/2" in text
    assert "Traceback" not in text and ".py" not in text and len(text.splitlines()) <= 6


def test_passing_check_is_one_line(executed):
    outputs = executed[6].outputs
    assert [o.output_type for o in outputs] == ["stream"]
    assert outputs[0].text.strip().splitlines() == ["[pass] local_field: 4/4 hidden cases passed"]


def test_other_name_errors_keep_the_usual_traceback(executed):
    err = _error(executed[7])
    assert err.evalue == "name 'not_defined_anywhere' is not defined"
    assert "Traceback" in ANSI.sub("", "\n".join(err.traceback))
