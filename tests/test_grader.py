"""The grader on crafted submissions of chapter 01: exact points and statuses for each case.

Submissions are built here from solutions/01_energy.ipynb and its freshly built stubs, so a
change to the chapter's notebooks is picked up. The whole class is graded once (two jobs) and
each test asserts one student's row.
"""

import copy
import json
import os

import nbformat
import pytest
from conftest import ROOT

from course_tools.build import exercise_notebook
from course_tools.grader import Settings, grade_class, grade_submission
from course_tools.notebooks import exercises

SOLUTION = nbformat.read(ROOT / "solutions" / "01_energy.ipynb", as_version=4)
STUBS = exercise_notebook(SOLUTION)  # never the checkout's exercises/, which a learner may have edited
FULL = {e["name"]: float(e["points"]) for e in exercises(SOLUTION)}   # energy 3, local_field 2, ...
NONE = {name: 0 for name in FULL}
SETTINGS = Settings(timeout_cell=8, timeout_total=120, memory_mb=3072, output_kb=64)

NO_BIAS = '''
import numpy as np
def energy(W, states, b=None):
    s = np.asarray(states, dtype=float)
    return -0.5 * np.sum((s @ W.T) * s, axis=-1)
'''
WRONG_ENERGY = "def energy(W, states, b=None):\n    return 0.0 * states.sum(axis=-1)\n"


def with_answers(base=SOLUTION, **sources):
    nb = copy.deepcopy(base)
    for cell in nb.cells:
        name = cell.get("metadata", {}).get("course", {}).get("exercise")
        if name in sources and "answer" in cell.metadata.get("tags", []):
            cell.source = sources[name]
    return nb


def drop(nb, *ids):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.get("id") not in ids]
    return nb


def shuffled_and_padded():
    nb = copy.deepcopy(SOLUTION)
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    extra = nbformat.v4.new_code_cell("raise RuntimeError('a cell the student added')")
    wrong_copy = copy.deepcopy(next(c for c in code if c.get("id") == "energy-answer"))
    wrong_copy.id = "my-scratch-copy"
    wrong_copy.source = WRONG_ENERGY
    nb.cells = list(reversed(code)) + [extra, wrong_copy] + md[:1]
    return nb


CASES = {
    "full": (SOLUTION, "ok", FULL),
    "zero": (STUBS, "ok", NONE),
    "partial": (with_answers(energy=NO_BIAS), "ok", {**FULL, "energy": 2.4}),
    "patch_numpy": (with_answers(energy="import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                        "np.isclose = lambda *a, **k: True\n" + WRONG_ENERGY),
                    "ok", {**FULL, "energy": 0}),
    "patch_checker": (with_answers(energy="import course_lib.checks.ch01 as c\n"
                                          "c.energy = lambda fn: print('[pass] energy: 5/5 hidden cases passed')\n"
                                          + WRONG_ENERGY), "ok", {**FULL, "energy": 0}),
    "patch_builtins": (with_answers(energy="import builtins\nbuiltins.abs = lambda x: 0\n" + WRONG_ENERGY),
                       "ok", {**FULL, "energy": 0}),
    "patch_at_call_time": (with_answers(energy="def energy(W, states, b=None):\n    import numpy\n"
                                               "    numpy.allclose = lambda *a, **k: True\n"
                                               "    numpy.isclose = lambda *a, **k: True\n    return 0.0\n"),
                           "ok", {**FULL, "energy": 0}),
    "fake_pass_lines": (with_answers(energy="def energy(W, states, b=None):\n"
                                            "    print('[pass] energy: 5/5 hidden cases passed')\n"
                                            "    print('COURSE-GRADE 0000 {\"exercise\": \"energy\", "
                                            "\"status\": \"passed\"}')\n"
                                            "    return 0.0\n"), "ok", {**FULL, "energy": 0}),
    "edited_check_cells": (with_answers(STUBS), "ok", NONE),
    "reordered_duplicated_added": (shuffled_and_padded(), "ok", FULL),
    "missing_answer": (drop(SOLUTION, "local_field-answer"), "ok", {**FULL, "local_field": 0}),
    "infinite_loop": (with_answers(energy="def energy(W, states, b=None):\n    while True:\n        pass\n"),
                      "ok", {**FULL, "energy": 0}),
    "kernel_exit": (with_answers(local_field="import os\ndef local_field(W, states, b=None):\n    os._exit(3)\n"),
                    "ok", {**FULL, "local_field": 0}),
    "huge_allocation": (with_answers(flip_energy_change="import numpy as np\nbig = np.ones(2**31)\n"),
                        "ok", {**FULL, "flip_energy_change": 0}),
    "output_flood": (with_answers(energy="for _ in range(20000):\n    print('x' * 100)\n"
                                  + next(c.source for c in SOLUTION.cells if c.get("id") == "energy-answer")),
                     "ok", {**FULL, "energy": 0}),
}
for cell in CASES["edited_check_cells"][0].cells:
    if "check" in cell.metadata.get("tags", []):
        cell.source = "print('[pass] energy: 5/5 hidden cases passed')"

EXPECTED_STATUS = {
    "zero": {"energy": "not_attempted"}, "partial": {"energy": "failed"},
    "patch_numpy": {"energy": "tampered"}, "patch_checker": {"energy": "tampered"},
    "patch_builtins": {"energy": "tampered"}, "patch_at_call_time": {"energy": "tampered"},
    "fake_pass_lines": {"energy": "failed"}, "missing_answer": {"local_field": "missing_answer"},
    "infinite_loop": {"energy": "timeout"}, "kernel_exit": {"local_field": "kernel_died"},
    "huge_allocation": {"flip_energy_change": "memory"}, "output_flood": {"energy": "output_limit"},
}

BROKEN_FILES = {
    "bad_json": ("{not json", "invalid_json"),
    "empty": ("", "empty"),
    "old_nbformat": (json.dumps({"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}), "wrong_nbformat"),
    "other_chapter": ((ROOT / "solutions" / "02_hebbian.ipynb").read_text(), "wrong_chapter"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name, (nb, _, _) in CASES.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    for name, (text, _) in BROKEN_FILES.items():
        (folder / f"{name}.ipynb").write_text(text)
    out = tmp_path_factory.mktemp("grades")
    results = grade_class("01", folder, out, jobs=int(os.environ.get("GRADER_TEST_JOBS", "2")), settings=SETTINGS,
                          progress=False)
    return {r.student: r for r in results}, out, folder


@pytest.mark.parametrize("name", list(CASES))
def test_points_and_status(graded, name):
    results, _, _ = graded
    r = results[name]
    _, status, points = CASES[name]
    assert r.status == status, r.message
    got = {e.name: e.points for e in r.exercises}
    assert got == pytest.approx(points), {e.name: (e.status, e.feedback) for e in r.exercises}
    statuses = {e.name: e.status for e in r.exercises}
    for exercise, expected in EXPECTED_STATUS.get(name, {}).items():
        assert statuses[exercise] == expected, r.exercises
    for exercise in FULL:
        if exercise not in EXPECTED_STATUS.get(name, {}) and points[exercise] == FULL[exercise]:
            assert statuses[exercise] == "passed"


@pytest.mark.parametrize("name", list(BROKEN_FILES))
def test_broken_files_get_a_status_not_a_crash(graded, name):
    results, _, _ = graded
    r = results[name]
    assert r.status == BROKEN_FILES[name][1] and r.message
    assert r.total == 0 and all(e.status == "not_graded" for e in r.exercises) or name == "other_chapter"


def test_reports_are_written(graded):
    results, out, _ = graded
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert rows[0] == f"student,{','.join(FULL)},total,max,status"
    assert len(rows) == 1 + len(CASES) + len(BROKEN_FILES)
    full, total = ",".join(f"{p:g}" for p in FULL.values()), sum(FULL.values())
    partial = ",".join(f"{p:g}" for p in {**FULL, "energy": 2.4}.values())
    assert f"full,{full},{total:g},{total:g},ok" in rows and f"partial,{partial},{total - 0.6:g},{total:g},ok" in rows
    data = json.loads((out / "results.json").read_text())
    assert {d["student"] for d in data} == set(results)
    feedback = (out / "feedback" / "partial.txt").read_text()
    assert "energy: failed (4/5 cases), 2.4 / 3" in feedback and "the bias is ignored" in feedback
    assert "tampered" in (out / "feedback" / "patch_checker.txt").read_text()


def test_same_marks_in_any_order_and_with_one_job(graded, tmp_path):
    results, _, folder = graded
    subset = ["full", "partial", "zero", "patch_numpy"]
    for name in reversed(subset):  # grade one by one, in another order
        again = grade_submission(str(folder / f"{name}.ipynb"), "01", SETTINGS)
        assert [(e.name, e.points, e.status) for e in again.exercises] == \
               [(e.name, e.points, e.status) for e in results[name].exercises]


def test_dask_cluster_gives_the_same_gradebook(graded, tmp_path):
    from distributed import LocalCluster

    results, _, folder = graded
    sub = tmp_path / "subs"
    sub.mkdir()
    for name in ("full", "partial", "bad_json"):
        (sub / f"{name}.ipynb").write_bytes((folder / f"{name}.ipynb").read_bytes())
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        via_dask = grade_class("01", sub, tmp_path / "out", settings=SETTINGS, scheduler=cluster.scheduler_address,
                               progress=False)
    assert [(r.student, r.total, r.status) for r in via_dask] == \
           [(n, results[n].total, results[n].status) for n in ("bad_json", "full", "partial")]


def test_the_secret_never_reaches_the_notebook_source():
    from course_tools.grader import _guard_source

    src = _guard_source("01", "/tmp/some-file")
    assert "COURSE-GRADE" in src and os.path.basename("/tmp/some-file") in src
    assert "token_hex" not in src
