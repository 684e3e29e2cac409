"""Attacks on `course grade`, each with the exact points and status it must get.

Submissions are built here from solutions/01_energy.ipynb and exercises/01_energy.ipynb, graded as
one class (two jobs), and every test reads one student's row. An attack "works" if it changes a mark
or touches anything outside its own sandbox; the assertions say it does not.
"""

import copy
import hashlib
import io
import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import ROOT

from course_tools.grading.engine import Settings, grade_class
from course_tools.grading.sandbox import capabilities
from course_tools.notebooks import exercises

SOLUTION = nbformat.read(ROOT / "solutions" / "01_energy.ipynb", as_version=4)
STUBS = nbformat.read(ROOT / "exercises" / "01_energy.ipynb", as_version=4)
FULL = {e["name"]: float(e["points"]) for e in exercises(SOLUTION)}   # energy 3, local_field 2, ... (13 in all)
ZERO = dict.fromkeys(FULL, 0.0)
SETTINGS = Settings(timeout_cell=5, timeout_total=90, memory_mb=3072, output_kb=64)
ENERGY = next(c.source for c in SOLUTION.cells if c.get("id") == "energy-answer")
WRONG = "import numpy as np\ndef energy(W, states, b=None):\n    return 0.0 * np.sum(states, axis=-1)\n"


def with_answers(base=SOLUTION, **sources):
    nb = copy.deepcopy(base)
    for cell in nb.cells:
        name = cell.get("metadata", {}).get("course", {}).get("exercise")
        if name in sources and "answer" in cell.metadata.get("tags", []):
            cell.source = sources[name]
    return nb


def energy_answer(body: str, top: str = "") -> nbformat.NotebookNode:
    """Chapter 01 solved, except ``energy``: ``top`` at the cell's top level, ``body`` inside the function."""
    lines = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return with_answers(energy="import numpy as np\n" + top + "\ndef energy(W, states, b=None):\n" + lines + "\n")


def pickled_reference() -> bytes:
    """An .npy file whose object array holds course_lib.hopfield.energy (made here, in the trusted process)."""
    from course_lib import hopfield

    buf = io.BytesIO()
    np.save(buf, np.array([hopfield.energy], dtype=object), allow_pickle=True)
    return buf.getvalue()


def seen_then_right(path: str) -> str:
    """An energy that is right only when ``path`` can be read from the kernel."""
    return f'''
try:
    np.loadtxt({path!r}, dtype=str, delimiter="\\x01", comments=None, max_rows=1)
    seen = True
except Exception:
    seen = False
s = np.asarray(states, dtype=float)
e = -0.5 * np.sum((s @ W.T) * s, axis=-1)
e = e if b is None else e - s @ b
return e if seen else 0 * e
'''


SUBMISSIONS_DIR = "/path/filled/in/by/the/fixture"
CASES: dict[str, tuple] = {}


def case(name, nb, points, statuses=None, status="ok"):
    CASES[name] = (nb, status, points, statuses or {})


def _cases(folder: Path, out: Path) -> None:
    checkout_file = str(ROOT / "course_lib" / "hopfield.py")
    case("full", SOLUTION, FULL)
    case("zero", STUBS, ZERO, dict.fromkeys(FULL, "not_attempted"))
    # forged verdicts: printed lines, the old grader's tag, display data, the learner's pass line
    case("forged_stdout", energy_answer("print('[pass] energy: 5/5 hidden cases passed')\n"
                                        "print('COURSE-GRADE 0 {\"exercise\": \"energy\", \"status\": \"passed\"}')\n"
                                        "return 0.0 * np.sum(states, axis=-1)"),
         {**FULL, "energy": 0}, {"energy": "failed"})
    case("forged_dunder_stdout", energy_answer("import sys\nsys.__stdout__.write('[pass] energy: 6/6\\n')\n"
                                               "return 0.0"), {**FULL, "energy": 0}, {"energy": "refused"})
    case("forged_display", energy_answer("return 0.0", top="from IPython.display import display\n"
                                         "display({'text/plain': '[pass] energy: 6/6'}, raw=True)"),
         {**FULL, "energy": 0}, {"energy": "refused"})
    # reading the grader's state: objects, frames, files, /proc
    case("gc_walk", energy_answer("import gc\nreturn [o for o in gc.get_objects() if 'grade' in str(o)][0]"),
         {**FULL, "energy": 0}, {"energy": "refused"})
    case("frame_walk", energy_answer("g = (x for x in [0])\nreturn g.gi_frame.f_back.f_globals['verdict']"),
         {**FULL, "energy": 0}, {"energy": "refused"})
    case("dunder_globals", energy_answer("return energy.__globals__['check']"),
         {**FULL, "energy": 0}, {"energy": "refused"})
    case("reads_solutions", energy_answer(seen_then_right(str(ROOT / "solutions" / "01_energy.ipynb"))),
         {**FULL, "energy": 0}, {"energy": "failed"})
    case("reads_hidden_cases", energy_answer(seen_then_right(
        str(ROOT / "course_tools" / "grading" / "hidden" / "ch01.py"))), {**FULL, "energy": 0}, {"energy": "failed"})
    case("reads_submissions", energy_answer(seen_then_right(str(folder / "full.ipynb"))),
         {**FULL, "energy": 0}, {"energy": "failed"})
    case("reads_other_processes", energy_answer(seen_then_right("/proc/2/cmdline")),
         {**FULL, "energy": 0}, {"energy": "failed"})
    # patching numpy / builtins / checkers, before or during the check
    case("patch_numpy", with_answers(energy="import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                            "np.isclose = lambda *a, **k: True\n" + WRONG),
         {**FULL, "energy": 0}, {"energy": "failed"})
    case("patch_at_call_time", energy_answer("import numpy\nnumpy.allclose = lambda *a, **k: True\n"
                                             "numpy.isclose = lambda *a, **k: True\nreturn 0.0"),
         {**FULL, "energy": 0}, {"energy": "failed"})
    case("patch_builtins", with_answers(energy="import builtins\nbuiltins.abs = lambda x: 0\n" + WRONG),
         {**FULL, "energy": 0}, {"energy": "refused"})
    case("patch_checker", with_answers(energy="import course_lib.checks.ch01 as c\n"
                                              "c.energy = lambda fn: None\n" + WRONG),
         {**FULL, "energy": 0}, {"energy": "refused"})
    # objects that lie in comparisons
    case("lying_eq", energy_answer("class Yes:\n    def __eq__(self, other):\n        return True\n"
                                   "    def __array__(self, dtype=None, copy=None):\n"
                                   "        return np.zeros(())\n    def __bool__(self):\n        return True\n"
                                   "    def __float__(self):\n        return 0.0\nreturn Yes()"),
         {**FULL, "energy": 0}, {"energy": "failed"})
    case("ndarray_subclass", energy_answer("class Liar(np.ndarray):\n    def __eq__(self, other):\n"
                                           "        return np.ones(np.shape(other), bool)\n"
                                           "return np.zeros(np.shape(states)[:-1]).view(Liar)"),
         {**FULL, "energy": 0}, {"energy": "failed"})
    case("nan", energy_answer("return np.full(np.shape(states)[:-1], np.nan)"),
         {**FULL, "energy": 0}, {"energy": "failed"})
    # calling a reference implementation
    case("import_reference", with_answers(energy="from course_lib.hopfield import energy\n"),
         {**FULL, "energy": 0}, {"energy": "refused"})
    case("dunder_import", energy_answer("return __import__('course_lib.hopfield').hopfield.energy(W, states, b)"),
         {**FULL, "energy": 0}, {"energy": "refused"})
    case("unpickled_reference", energy_answer(
        "np.frombuffer(REF, dtype=np.uint8).tofile('ref.npy')\n"
        "return np.load('ref.npy', allow_pickle=True)[0](W, states, b)",
        top=f"REF = {pickled_reference()!r}"), {**FULL, "energy": 0}, {"energy": "failed"})
    case("ctypes_by_attribute", energy_answer("return np.ctypeslib.ctypes.CDLL(None)"),
         {**FULL, "energy": 0}, {"energy": "refused"})
    # processes that outlive the kernel; writes outside the sandbox
    case("forked_child", with_answers(energy="import torch.multiprocessing as tmp\n"
                                             "def _linger():\n    while True:\n        pass\n"
                                             "_child = tmp.get_context('fork').Process(target=_linger, daemon=False)\n"
                                             "_child.start()\n" + ENERGY),
         {**FULL, "energy": 0}, {"energy": "refused"})
    # broken answers and runaway code
    case("syntax_error", with_answers(energy="def energy(W, states, b=None)\n    return 0\n"),
         {**FULL, "energy": 0}, {"energy": "syntax_error"})
    case("infinite_loop", energy_answer("while True:\n    pass"), {**FULL, "energy": 0}, {"energy": "timeout"})
    case("loop_at_top_level", with_answers(local_field="while True:\n    pass\n"),
         {**FULL, "local_field": 0}, {"local_field": "timeout"})
    case("segfault", with_answers(local_field="import numpy as np\n"
                                               "np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2**40,), "
                                               "strides=(2**20,)).sum()\n"),
         {**FULL, "local_field": 0}, {"local_field": "kernel_died"})
    case("huge_allocation", with_answers(flip_energy_change="import numpy as np\nbig = np.ones(2**33)\n"),
         {**FULL, "flip_energy_change": 0}, {"flip_energy_change": "memory"})
    case("allocation_in_call", energy_answer("return np.ones((2**17, 2**16)).sum()"),
         {**FULL, "energy": 0}, {"energy": "memory"})
    case("output_flood", with_answers(energy="for _ in range(20000):\n    print('x' * 100)\n" + ENERGY),
         {**FULL, "energy": 0}, {"energy": "output_limit"})
    # the file itself
    extra = nbformat.v4.new_code_cell("raise RuntimeError('a cell the student added')")
    shuffled = copy.deepcopy(SOLUTION)
    scratch = copy.deepcopy(next(c for c in shuffled.cells if c.get("id") == "energy-answer"))
    scratch.id, scratch.source = "my-scratch-copy", WRONG
    shuffled.cells = list(reversed(shuffled.cells)) + [extra, scratch]
    case("reordered_duplicated_added", shuffled, FULL)
    edited = copy.deepcopy(STUBS)
    for cell in edited.cells:
        if "check" in cell.metadata.get("tags", []):
            cell.source = "print('[pass] energy: 6/6 hidden cases passed')"
    case("edited_check_cells", edited, ZERO, dict.fromkeys(FULL, "not_attempted"))
    missing = copy.deepcopy(SOLUTION)
    missing.cells = [c for c in missing.cells if c.get("id") != "local_field-answer"]
    case("missing_answer", missing, {**FULL, "local_field": 0}, {"local_field": "missing_answer"})
    case("=HYPERLINK(1)", SOLUTION, FULL)
    if not capabilities().setpriv:  # as the grader's own user a kernel could write there: README
        return
    case("writes_checkout", energy_answer(
        "try:\n    np.savetxt(" + repr(checkout_file) + ", np.zeros(1))\nexcept Exception:\n    pass\n"
        "try:\n    np.savetxt(" + repr(str(folder / "full.ipynb")) + ", np.zeros(1))\nexcept Exception:\n    pass\n"
        "try:\n    np.savetxt(" + repr(str(out / "gradebook.csv")) + ", np.zeros(1))\nexcept Exception:\n    pass\n"
        "s = np.asarray(states, dtype=float)\ne = -0.5 * np.sum((s @ W.T) * s, axis=-1)\n"
        "return e if b is None else e - s @ b"), FULL, {"energy": "passed"})


_cases(Path("/nonexistent/submissions"), Path("/nonexistent/out"))   # the names, for parametrize
NEEDS_NAMESPACES = {"reads_solutions", "reads_hidden_cases", "reads_submissions", "reads_other_processes"}

BROKEN_FILES = {
    "bad_json": ("{not json", "invalid_json"),
    "empty": ("", "empty"),
    "old_nbformat": (json.dumps({"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}), "wrong_nbformat"),
    "cells_not_a_list": (json.dumps({"cells": {"a": 1}, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                         "invalid_notebook"),
    "cell_not_an_object": (json.dumps({"cells": [1, 2], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                           "invalid_notebook"),
    "binary": ("\udcff\x00garbage", "invalid_json"),
    "other_chapter": ((ROOT / "solutions" / "02_hebbian.ipynb").read_text(), "wrong_chapter"),
    "source_not_text": (json.dumps({"cells": [{"cell_type": "code", "id": "energy-answer", "source": 5,
                                               "metadata": {}, "outputs": [], "execution_count": None}],
                                    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), "wrong_chapter"),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("grades")
    _cases(folder, out)
    for name, (nb, *_rest) in CASES.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    for name, (text, _) in BROKEN_FILES.items():
        (folder / f"{name}.ipynb").write_bytes(text.encode("utf-8", "surrogateescape"))
    (folder / "linked.ipynb").symlink_to(ROOT / "solutions" / "01_energy.ipynb")
    protected = [ROOT / "course_lib" / "hopfield.py", ROOT / "solutions" / "01_energy.ipynb", folder / "full.ipynb"]
    before = {p: _digest(p) for p in protected}
    results = grade_class("01", folder, out, jobs=2, settings=SETTINGS, progress=False)
    return {r.student: r for r in results}, out, folder, before


@pytest.mark.parametrize("name", sorted(CASES))
def test_points_and_status(graded, name):
    results, *_ = graded
    r = results[name]
    if name in NEEDS_NAMESPACES:
        if not capabilities().namespaces:
            # without namespaces files and processes cannot be hidden (the README's weaker mode): the
            # report must say so for this submission, so the instructor knows what it got
            assert r.isolation.get("namespaces") == [], r.isolation
            return
        assert r.isolation.get("namespaces"), r.isolation
    _, status, points, statuses = CASES[name]
    assert r.status == status, r.message
    assert {e.name: e.points for e in r.exercises} == pytest.approx(points), \
        {e.name: (e.status, e.feedback) for e in r.exercises}
    got = {e.name: e.status for e in r.exercises}
    for exercise in FULL:
        want = statuses.get(exercise, "passed" if points[exercise] == FULL[exercise] else None)
        assert want is None or got[exercise] == want, (exercise, r.exercises)


@pytest.mark.parametrize("name", list(BROKEN_FILES))
def test_broken_files_get_a_status_not_a_crash(graded, name):
    results, *_ = graded
    r = results[name]
    assert r.status == BROKEN_FILES[name][1] and r.message
    assert r.total == 0


def test_symlinked_submission_is_refused(graded):
    results, *_ = graded
    r = results["linked"]
    assert r.status == "symlink" and r.total == 0


def test_statuses_say_which_limit(graded):
    results, *_ = graded
    fb = {n: {e.name: e.feedback for e in results[n].exercises} for n in results}
    assert "--timeout-cell 5 s" in fb["infinite_loop"]["energy"]
    assert "--output-kb 64" in fb["output_flood"]["energy"]
    assert "--memory-mb 3072" in fb["huge_allocation"]["flip_energy_change"]
    assert "line 1" in fb["syntax_error"]["energy"] and "expected ':'" in fb["syntax_error"]["energy"]
    assert "course_lib.hopfield" in fb["import_reference"]["energy"]


def test_nothing_outlives_its_grading(graded):
    """No process of a closed sandbox is left (the forked child and the looping kernels included).

    A sandbox's folder (its processes' HOME) is removed when it closes, so a marked process whose HOME is
    gone outlived its grading; sandboxes still open (another test grading at the same time) are not counted.
    """
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                env = dict(item.split(b"=", 1) for item in (entry / "environ").read_bytes().split(b"\0")
                           if b"=" in item)
            except OSError:
                continue
            if b"COURSE_SANDBOX" in env and not Path(env.get(b"HOME", b"/").decode()).exists():
                left.append(entry.name)
    assert left == []


def test_no_write_reaches_the_checkout_or_other_submissions(graded):
    _, out, _, before = graded
    assert {p: _digest(p) for p in before} == before
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert rows[0] == f"student,{','.join(FULL)},total,max,status"


def test_csv_cells_cannot_be_formulas(graded):
    _, out, *_ = graded
    for name in ("gradebook.csv", "roster.csv"):
        rows = (out / name).read_text().splitlines()
        assert "'=HYPERLINK(1),3,2,3,3,2,13,13" in "\n".join(rows)
        assert not any(row.startswith(("=", "+", "-", "@")) for row in rows)


def test_isolation_is_recorded(graded):
    results, *_ = graded
    iso = results["full"].isolation
    caps = capabilities()
    if caps.setpriv:
        assert "own unprivileged uid" in iso["user"]
    if caps.namespaces:
        assert set(iso["namespaces"]) == {"pid", "net", "mount"}
    assert "as" in iso["rlimits"] and "cpu" in iso["rlimits"]


def test_kernel_output_never_reaches_the_terminal(graded, capfd):
    out, err = capfd.readouterr()
    assert "xxxxxxxxxx" not in out + err and "[pass] energy" not in out + err


if os.environ.get("COURSE_GRADER_TESTS") == "0":  # pragma: no cover - an opt-out for quick local runs
    pytestmark = pytest.mark.skip("COURSE_GRADER_TESTS=0")
