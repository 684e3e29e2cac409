"""`course check` (the learner's, course_lib.checking) and `course release` (the student-facing course)."""

import json
import re
import subprocess
from argparse import Namespace

import nbformat
import pytest
from conftest import ROOT
from test_grader_adversarial import with_answers

from course_lib.checking import Verdict, check_command, check_notebook, read_report, run, write_report
from course_tools.release import classroom_workflow, release


def test_one_bad_answer_does_not_hide_the_others(tmp_path):
    nb = with_answers(energy="def energy(W, states, b=None)\n    return 0\n",
                  local_field="def local_field(W, states, b=None):\n    while True:\n        pass\n")
    nb.cells = [c for c in nb.cells if c.get("id") not in ("flip_energy_change-answer", "flip_energy_change-check")]
    path = tmp_path / "01_energy.ipynb"
    nbformat.write(nb, path)
    verdicts = {v.exercise: v for v in check_notebook(path, timeout=5)}
    assert list(verdicts) == ["energy", "local_field", "flip_energy_change", "energy_from_overlap", "unique_minimum"]
    assert verdicts["energy"].status == "syntax error" and "line 1" in verdicts["energy"].feedback
    assert verdicts["local_field"].status == "timeout" and "5 s per cell" in verdicts["local_field"].feedback
    assert verdicts["flip_energy_change"].status == "missing"
    assert run(Namespace(notebook=path, timeout=5, exercise=None)) == 1


def test_a_dead_kernel_loses_only_its_exercise(tmp_path):
    nb = with_answers(local_field="import os\nos._exit(3)\n")
    path = tmp_path / "01_energy.ipynb"
    nbformat.write(nb, path)
    verdicts = {v.exercise: v.status for v in check_notebook(path, timeout=30)}
    assert verdicts == {"energy": "passed", "local_field": "kernel died", "flip_energy_change": "passed",
                        "energy_from_overlap": "passed", "unique_minimum": "passed"}
    assert run(Namespace(notebook=path, timeout=30, exercise="energy")) == 0
    assert check_command(path, 30, "local_field") == 1


def test_reports_round_trip_for_ci(tmp_path):
    verdicts = [Verdict("energy", "passed", 6, 6), Verdict("local_field", "failed", 1, 4, "hint")]
    write_report(tmp_path / "r.json", verdicts)
    assert read_report(tmp_path / "r.json") == verdicts
    args = dict(notebook=tmp_path / "x.ipynb", timeout=5, from_report=tmp_path / "r.json", report=None)
    assert run(Namespace(exercise="energy", **args)) == 0
    assert run(Namespace(exercise="local_field", **args)) == 1
    (tmp_path / "bad.json").write_text(json.dumps({"not": "a report"}))
    assert run(Namespace(exercise=None, **{**args, "from_report": tmp_path / "bad.json"})) == 2


def test_release_holds_nowith_answers(tmp_path):
    out = release(tmp_path / "course", git=True)
    names = {p.relative_to(out).parts[0] for p in out.rglob("*")}
    assert {"course_lib", "exercises", "notebooks", "data", "README.md", "pyproject.toml", ".github"} <= names
    assert not names & {"solutions", "course_tools", "tests", "benchmarks", "templates"}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".toml", ".yml"):
            text = path.read_text(encoding="utf-8")
            assert "BEGIN SOLUTION" not in text, path
            if path.suffix == ".py":
                assert not re.search(r"^\s*(from|import) course_tools", text, re.M), path
    assert sorted(p.name for p in (out / "exercises").glob("*.ipynb")) == \
        sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))
    toml = (out / "pyproject.toml").read_text()
    assert 'packages = ["course_lib", "course_lib.checks", "course_lib.widgets", "course_lib.data"]' in toml
    assert '"course_tools' not in toml and 'course = "course_lib.learner:main"' in toml
    log = subprocess.run(["git", "log", "--oneline"], cwd=out, capture_output=True, text=True, check=True)
    assert len(log.stdout.splitlines()) == 1
    with pytest.raises(FileExistsError):
        release(out)


def test_classroom_workflow_runs_each_notebook_once():
    text = classroom_workflow()
    assert "classroom-resources/autograding-command-grader@v1" in text
    assert "classroom-resources/autograding-grading-reporter@v1" in text
    commands = [line for line in text.splitlines() if line.strip().startswith("command:")]
    assert commands and all("COURSE_FAST=1" in c and "--from-report" in c for c in commands)
    runs = [line for line in text.splitlines() if " --report " in line and "--from-report" not in line]
    assert len(runs) == len(list((ROOT / "solutions").glob("*.ipynb")))
    assert (ROOT / "templates" / "github-classroom" / ".github" / "workflows" / "classroom.yml").read_text() == text
