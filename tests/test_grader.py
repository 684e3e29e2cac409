"""`course grade`: the screen, the limits, the sandbox, every chapter, the reports, the parallel paths.

The attacks with exact points per student are in test_grader_adversarial.py.
"""

import copy
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from course_tools.cli import main as course
from course_tools.grading import wire
from course_tools.grading.engine import Settings, grade_class, grade_submission
from course_tools.grading.sandbox import Limits, Sandbox, capabilities
from course_tools.grading.screen import course_lib_bindings, screen_answer, strip_check_imports
from course_tools.grading.submission import build_plan

CHAPTERS = sorted(p.name[:2] for p in (ROOT / "solutions").glob("*.ipynb"))
SETTINGS = Settings(timeout_cell=30, timeout_total=240, memory_mb=6144, output_kb=256)


# --------------------------------------------------------------------------- the static screen

@pytest.mark.parametrize("source, status, words", [
    ("def f(x):\n    return x +\n", "syntax_error", "line 2"),
    ("import numpy as np\nfrom math import sqrt\nimport torch.nn.functional as F\n", "ok", ""),
    ("import os\n", "refused", "imports os"),
    ("from course_lib.hopfield import energy\n", "refused", "course_lib.hopfield"),
    ("import course_lib.checks._core as c\n", "refused", "course_lib"),
    ("x = __import__('course_lib')\n", "refused", "__import__"),
    ("def f():\n    return f.__globals__\n", "refused", "__globals__"),
    ("g = (i for i in [0])\ny = g.gi_frame.f_back\n", "refused", "frames"),
    ("y = getattr(1, 'real')\n", "refused", "getattr"),
    ("import numpy as np\nnp.ctypeslib.ndpointer\n", "refused", "ctypeslib"),
    ("import torch.multiprocessing\n", "refused", "multiprocessing"),
    ("class A:\n    def __init__(self):\n        self.x = 1\n    def __eq__(self, o):\n        return True\n",
     "ok", ""),
    ("def __eq__(a, b):\n    return True\n", "refused", "outside a class"),
    ("y = hopfield.energy\n", "refused", "hopfield"),
    ("y = check\n", "refused", "check"),
    ("y = all_states(3)\n", "ok", ""),
])
def test_screen(source, status, words):
    names = course_lib_bindings(["from course_lib import hopfield\nfrom course_lib.checks import ch01 as check\n"
                                 "from course_lib.boltzmann import all_states\nFAST = None\n"])
    verdict = screen_answer(source, names, allowed=("all_states",))
    assert verdict.status == status, verdict
    assert words in verdict.message


def test_screen_refuses_forbidden_names_and_keeps_computed_results():
    assert screen_answer("y = torch.softmax(x, -1)\n", set(), forbidden=("softmax",)).status == "refused"
    names = course_lib_bindings(["from course_lib.utils import fast_mode\nFAST = fast_mode(None)\n"
                                 "E = hopfield.energy\n", "from course_lib import hopfield\n"])
    assert "fast_mode" in names and "FAST" not in names
    assert screen_answer("n = 10 if FAST else 100\n", names).ok


def test_instructor_cells_lose_only_their_imports_of_the_checks():
    src = "import numpy as np\n\nfrom course_lib.checks import ch01 as check\nfrom course_lib.utils import fast_mode\n"
    out = strip_check_imports(src)
    assert "checks" not in out and "fast_mode" in out and "pass" in out


def test_the_plan_declares_each_checkers_library_twin():
    plan = build_plan("01", ROOT)
    assert [e.name for e in plan.exercises] == ["energy", "local_field", "flip_energy_change", "energy_from_overlap",
                                                "unique_minimum"]
    assert plan.exercise("energy").twin == ("course_lib.hopfield", "energy")
    assert [c.kind for c in plan.cells].count("check") == 5
    assert not any("course_lib.checks" in c.source for c in plan.cells)


# --------------------------------------------------------------------------- limits and options

@pytest.mark.parametrize("kwargs, words", [
    ({"timeout_cell": 0}, "--timeout-cell"), ({"timeout_total": -5}, "--timeout-total"),
    ({"memory_mb": 10}, "--memory-mb"), ({"output_kb": 0}, "--output-kb"),
    ({"timeout_cell": 100, "timeout_total": 50}, "cannot exceed"), ({"timeout_cell": float("nan")}, "--timeout-cell"),
])
def test_settings_are_validated(kwargs, words):
    with pytest.raises(ValueError, match=words):
        Settings(**kwargs)


@pytest.mark.parametrize("extra, words", [
    (["--jobs", "0"], "--jobs"), (["--timeout-cell", "0"], "--timeout-cell"),
    (["--memory-mb", "-1"], "--memory-mb"), (["--timeout-total", "1", "--timeout-cell", "5"], "cannot exceed"),
])
def test_cli_refuses_bad_options_before_grading(tmp_path, capsys, extra, words):
    (tmp_path / "subs").mkdir()
    with pytest.raises(SystemExit) as err:
        course(["grade", "01", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), *extra])
    assert err.value.code == 2 and words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_fails_before_grading(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(SystemExit):
        course(["grade", "01", str(tmp_path / "subs"), "--out", str(tmp_path / "out")])
    assert "is a file" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--jobs"):
        grade_class("01", tmp_path / "subs", tmp_path / "o2", jobs=0)


def test_wire_refuses_a_symlinked_response(tmp_path):
    wire.write(str(tmp_path / "real"), {"a": 1}, {})
    (tmp_path / "fake.json").symlink_to(tmp_path / "real.json")
    (tmp_path / "fake.npz").symlink_to(tmp_path / "real.npz")
    assert wire.read(str(tmp_path / "real"))[0] == {"a": 1}
    with pytest.raises(wire.WireError, match="not a plain file"):
        wire.read(str(tmp_path / "fake"))


# --------------------------------------------------------------------------- the sandbox itself

def _sandbox_processes(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"COURSE_SANDBOX={token}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_daemon_that_leaves_the_process_group_dies_with_its_sandbox(tmp_path):
    sandbox = Sandbox(Limits(timeout_cell=20, timeout_total=60, memory_mb=3072), ROOT, [tmp_path],
                      time.monotonic() + 60)
    try:
        sandbox.start()
        code = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                "        time.sleep(600)\n    os._exit(0)\n"
                "open('/tmp/left-by-a-student', 'w').write('x')\n")
        assert sandbox.execute(code, 20).status == "ok"
        time.sleep(0.5)
        assert len(_sandbox_processes(sandbox.token)) >= 2
    finally:
        sandbox.close()
    assert _sandbox_processes(sandbox.token) == []
    assert not sandbox.base.exists()
    left = Path("/tmp/left-by-a-student")
    seen = left.exists()
    left.unlink(missing_ok=True)
    if capabilities().namespaces:
        assert not seen


def test_a_killed_grader_leaves_no_sandbox_behind(tmp_path):
    script = ("import sys, time\nfrom pathlib import Path\nfrom course_tools.grading.sandbox import Sandbox, Limits\n"
              f"s = Sandbox(Limits(timeout_cell=30, timeout_total=120, memory_mb=3072), Path({str(ROOT)!r}), [], "
              "time.monotonic() + 120)\ns.start()\ns.execute('import os\\nif os.fork() == 0:\\n    os.setsid()\\n"
              "    import time\\n    time.sleep(600)\\n', 20)\nprint(s.token, s.base, *s.cgroups, flush=True)\n"
              "time.sleep(600)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    token, *leftovers = proc.stdout.readline().split()
    assert token and _sandbox_processes(token)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(100):
        if not _sandbox_processes(token):
            break
        time.sleep(0.1)
    left = _sandbox_processes(token)
    for pid in left:  # leave the machine clean even when the assertion fails
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    for path in map(Path, leftovers):   # a killed grader leaves its (empty) folder and cgroups behind
        if path.is_relative_to("/sys/fs/cgroup"):
            path.rmdir()
        else:
            shutil.rmtree(path, ignore_errors=True)
    if capabilities().setpriv or capabilities().namespaces:
        assert left == []


def test_a_timeout_holds_inside_one_cell():
    sandbox = Sandbox(Limits(timeout_cell=30, timeout_total=3, memory_mb=3072), ROOT, [], time.monotonic() + 15)
    from course_tools.grading.sandbox import Stop

    try:
        sandbox.start()
        sandbox.deadline = time.monotonic() + 2
        start = time.monotonic()
        with pytest.raises(Stop) as stop:
            sandbox.execute("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n", 30)
        assert stop.value.kind == "timeout_total"
        assert time.monotonic() - start < 25
    finally:
        sandbox.close()
    assert _sandbox_processes(sandbox.token) == []


# --------------------------------------------------------------------------- every chapter, and the reports

@pytest.fixture(scope="module")
def course_graded(tmp_path_factory):
    """Each chapter's solution and stubs, plus two attacks on chapter 02, graded with two jobs."""
    graded = {}
    for chapter in CHAPTERS:
        folder = tmp_path_factory.mktemp(f"subs{chapter}")
        solution = next((ROOT / "solutions").glob(f"{chapter}_*.ipynb"))
        (folder / "full.ipynb").write_bytes(solution.read_bytes())
        (folder / "zero.ipynb").write_bytes((ROOT / "exercises" / solution.name).read_bytes())
        if chapter == "02":
            nb = nbformat.read(solution, as_version=4)
            for cell in nb.cells:
                if cell.get("id") == "recall_sync-answer":
                    cell.source = ("from course_lib.checks.ch02 import _sync_recall\n"
                                   "def recall_sync(W, probes, max_steps=100):\n"
                                   "    return _sync_recall(W, probes, max_steps)\n")
            nbformat.write(nb, folder / "private_reference.ipynb")
        out = tmp_path_factory.mktemp(f"out{chapter}")
        graded[chapter] = ({r.student: r for r in grade_class(chapter, folder, out, jobs=2, settings=SETTINGS,
                                                               progress=False)}, out)
    return graded


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_solution_grades_full_marks_and_every_stub_zero(course_graded, chapter):
    results, _ = course_graded[chapter]
    full, zero = results["full"], results["zero"]
    assert full.status == zero.status == "ok"
    assert [(e.name, e.status) for e in full.exercises if e.status != "passed"] == []
    assert full.total == full.max_points > 0
    assert [(e.name, e.status) for e in zero.exercises if e.status != "not_attempted"] == []
    assert zero.total == 0


def test_a_wrapper_around_a_private_checker_function_earns_nothing(course_graded):
    results, _ = course_graded["02"]
    r = {e.name: e for e in results["private_reference"].exercises}
    assert r["recall_sync"].status == "refused" and r["recall_sync"].points == 0
    assert "course_lib.checks.ch02" in r["recall_sync"].feedback
    others = [e for e in results["private_reference"].exercises if e.name != "recall_sync"]
    assert all(e.status == "passed" for e in others)


def test_reports(course_graded):
    results, out = course_graded["01"]
    data = json.loads((out / "results.json").read_text())
    assert data["grader_version"] and data["chapter"] == "01" and data["started"]
    assert {k: data["limits"][k] for k in ("timeout_cell", "timeout_total", "memory_mb", "output_kb")} == \
        {"timeout_cell": 30, "timeout_total": 240, "memory_mb": 6144, "output_kb": 256}
    assert data["limits"]["processes"] > 0 and data["limits"]["file_mb"] > 0
    subs = {s["student"]: s for s in data["submissions"]}
    assert subs["full"]["total"] == 13 and subs["full"]["started"] and subs["full"]["duration_s"] > 0
    assert subs["full"]["isolation"]["rlimits"]
    lines = (out / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["student"] for line in lines) == ["full", "zero"]
    with open(out / "roster.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["student", "energy", "local_field", "flip_energy_change", "energy_from_overlap",
                     "unique_minimum", "total", "max"],
                    ["full", "3", "2", "3", "3", "2", "13", "13"], ["zero", "0", "0", "0", "0", "0", "0", "13"]]
    assert (out / "gradebook.csv").read_text().splitlines()[1] == "full,3,2,3,3,2,13,13,ok"
    page = (out / "feedback" / "zero.html").read_text()
    assert "<table>" in page and "not_attempted" in page and "0 / 13 points" in page
    assert re.search(r"energy: not_attempted \(0/\d+ cases\), 0 / 3", (out / "feedback" / "zero.txt").read_text())


# --------------------------------------------------------------------------- the same gradebook, any way

PARTIAL = '''
import numpy as np
def energy(W, states, b=None):
    s = np.asarray(states, dtype=float)
    return -0.5 * np.sum((s @ W.T) * s, axis=-1)
'''


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    solution = nbformat.read(ROOT / "solutions" / "01_energy.ipynb", as_version=4)
    partial = copy.deepcopy(solution)
    for cell in partial.cells:
        if cell.get("id") == "energy-answer":
            cell.source = PARTIAL
    nbformat.write(solution, folder / "full.ipynb")
    nbformat.write(partial, folder / "partial.ipynb")
    (folder / "bad_json.ipynb").write_text("{")
    return folder


def _book(out: Path) -> str:
    return (out / "gradebook.csv").read_text()


def test_one_job_two_jobs_and_dask_give_the_same_gradebook(small_class, tmp_path):
    from distributed import LocalCluster

    settings = Settings(timeout_cell=30, timeout_total=240, memory_mb=4096)
    grade_class("01", small_class, tmp_path / "one", jobs=1, settings=settings, progress=False)
    grade_class("01", small_class, tmp_path / "two", jobs=2, settings=settings, progress=False)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        grade_class("01", small_class, tmp_path / "dask", settings=settings, scheduler=cluster.scheduler_address,
                    progress=False)
    book = _book(tmp_path / "one")
    assert book == _book(tmp_path / "two") == _book(tmp_path / "dask")
    results = {r["student"]: r for r in map(json.loads, (tmp_path / "one" / "results.jsonl").read_text().splitlines())}
    energy = results["partial"]["exercises"][0]
    # only the cases with a bias fail: the public "with bias" and the hidden batch with a bias
    assert energy["status"] == "failed" and energy["passed"] == energy["total"] - 2
    points = round(3 * energy["passed"] / energy["total"], 2)
    assert f"partial,{points:g},2,3,3,2,{points + 10:g},13,ok" in book
    assert "full,3,2,3,3,2,13,13,ok" in book and "bad_json,0,0,0,0,0,0,13,invalid_json" in book


def test_grade_submission_never_raises(tmp_path):
    r = grade_submission(tmp_path / "absent.ipynb", "01", Settings(timeout_cell=5, timeout_total=30))
    assert r.status == "unreadable" and r.total == 0


def test_the_fallback_without_root_still_has_fresh_dirs_limits_and_cleanup():
    from course_tools.grading.sandbox import Capabilities, Stop

    weak = Capabilities(root=False, setpriv=False, namespaces=False, cgroup="", cgroup_memory="", cgroup_pids="")
    sandbox = Sandbox(Limits(timeout_cell=20, timeout_total=60, memory_mb=3072), ROOT, [], time.monotonic() + 60,
                      caps=weak)
    try:
        sandbox.start()
        assert "own user" in sandbox.isolation.user and "nproc" not in sandbox.isolation.rlimits
        code = ("import os, resource, numpy as np\n"
                "assert os.environ['HOME'] == os.getcwd() and os.environ['HOME'].endswith('/home')\n"
                "assert resource.getrlimit(resource.RLIMIT_AS)[0] == 3072 * 2**20\n"
                "if os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(600)\n")
        assert sandbox.execute(code, 20).status == "ok"
        assert sandbox.execute("import numpy as np\nx = np.ones(2**33)\n", 20).ename == "MemoryError"
        with pytest.raises(Stop) as stop:
            sandbox.execute("while True:\n    pass\n", 2)
        assert stop.value.kind == "timeout_cell"
    finally:
        sandbox.close()
    assert _sandbox_processes(sandbox.token) == [] and not sandbox.base.exists()
