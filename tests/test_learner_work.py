"""A learner's work is never lost: working copies in work/, apart from the generated exercises/.

`course start` copies an assignment into work/ (never over an existing copy), `course check` defaults
to that copy, and neither `course build` nor a course update (`git pull`) touches it.
"""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT
from test_build import solve_in_place, tiny_course

from course_lib import learner
from course_lib.learner import LearnerError, describe_start, resolve_learner_notebook, start
from course_tools import cli
from course_tools.build import STUB, build

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def course(*args, cwd):
    return subprocess.run([sys.executable, "-m", "course_tools.cli", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True)


def git(*args, cwd):
    proc = subprocess.run(["git", "-c", "user.name=course", "-c", "user.email=course@example.org",
                           "-c", "init.defaultBranch=main", *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture
def built(tmp_path):
    root = tiny_course(tmp_path / "course", chapters=("08", "09"))
    build(root)
    return root


def test_start_copies_the_assignment_into_work(built, monkeypatch, capsys):
    monkeypatch.chdir(built / "solutions")  # anywhere inside the course
    assert learner.main(["start", "9"]) == 0
    copy = built / "work" / "09_demo.ipynb"
    assert copy.read_bytes() == (built / "exercises" / "09_demo.ipynb").read_bytes()
    out = capsys.readouterr().out
    assert "Your working copy of chapter 09" in out and "jupyter lab" in out and "course check 09" in out


def test_start_never_overwrites_an_existing_copy(built, capsys):
    first = start("09", root=built)
    assert first.created and first.path == built / "work" / "09_demo.ipynb"
    solved = solve_in_place(first.path)
    again = start("9", root=built)
    assert not again.created and again.path == first.path and first.path.read_bytes() == solved
    text = describe_start(again)
    assert "already have a working copy" in text and "work/09_demo.ipynb" in text and "nothing copied" in text
    assert cli.main(["start", "09", "--root", str(built)]) == 0
    assert "already have a working copy" in capsys.readouterr().out and first.path.read_bytes() == solved


@pytest.mark.parametrize("chapter,match", [("9a", "chapter must be a number"), ("", "chapter must be a number"),
                                           ("123", "chapter must be a number"), ("07", "chapter 07 has no assignment")])
def test_start_refuses_a_bad_chapter(built, chapter, match):
    with pytest.raises(LearnerError, match=match):
        start(chapter, root=built)
    assert not (built / "work").exists()


def test_start_outside_a_course_says_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert learner.main(["start", "01"]) == 2
    assert "no course found" in capsys.readouterr().err
    with pytest.raises(LearnerError, match="--root .*not a course folder"):
        start("01", root=tmp_path)


def test_check_resolves_to_the_learners_copy(built, monkeypatch):
    with pytest.raises(LearnerError, match="no working copy .* `course start 01`"):
        resolve_learner_notebook(None, root=built)
    with pytest.raises(LearnerError, match="no working copy of chapter 09 .* `course start 09`"):
        resolve_learner_notebook("9", root=built)
    eight, nine = start("08", root=built).path, start("09", root=built).path
    os.utime(eight, (1, 1))  # chapter 09 was saved last
    assert resolve_learner_notebook(None, root=built) == nine
    assert resolve_learner_notebook("8", root=built) == eight
    assert resolve_learner_notebook(str(built / "exercises" / "08_demo.ipynb")) == built / "exercises" / "08_demo.ipynb"
    with pytest.raises(LearnerError, match="no such notebook"):
        resolve_learner_notebook(built / "nowhere.ipynb")
    monkeypatch.chdir(built / "work")
    assert resolve_learner_notebook("09") == nine


def test_course_check_defaults_to_the_learners_copy(built, monkeypatch, capsys):
    from course_lib import checking as check_module

    seen = []

    def fake_check(path, timeout=300):
        seen.append(path)
        return [check_module.Verdict("f", "passed", 1, 1)]

    monkeypatch.setattr(check_module, "check_notebook", fake_check)
    assert cli.main(["check", "--root", str(built)]) == 2
    assert "course start 01" in capsys.readouterr().err and seen == []
    nine = start("09", root=built).path
    assert cli.main(["check", "--root", str(built)]) == 0
    assert cli.main(["check", "9", "--root", str(built)]) == 0
    assert seen == [nine, nine]
    # the learner package alone (a student release) resolves the same copy and hands it to its checker
    assert learner.main(["check", "09", "--root", str(built)], check=lambda p, t, e: 0 if p == nine else 3) == 0


def test_learner_check_without_the_instructors_tools_runs_the_check_cells(built):
    copy = start("09", root=built).path
    nb = nbformat.read(copy, as_version=4)
    check_cell = next(c for c in nb.cells if "check" in c.metadata.get("tags", []))
    check_cell.source += "\nprint('[pass] f: 1/1 hidden cases passed')"  # the verdict line a course checker prints
    nbformat.write(nb, copy)
    wrong = copy.read_bytes()
    cell = next(c for c in nb.cells if "answer" in c.metadata.get("tags", []))
    cell.source = cell.source.replace(STUB, "return x + 1")
    nbformat.write(nb, copy)
    assert learner.main(["check", "09", "--root", str(built), "--timeout", "120"]) == 1
    copy.write_bytes(wrong)
    solve_in_place(copy)
    assert learner.main(["check", "09", "--root", str(built), "--timeout", "120"]) == 0


def test_a_solved_copy_survives_build_tests_and_a_course_update(tmp_path):
    # the course's repository, with the course's own .gitignore
    upstream = tiny_course(tmp_path / "upstream", chapters=("08", "09"))
    shutil.copyfile(ROOT / ".gitignore", upstream / ".gitignore")
    build(upstream)
    git("init", "-q", cwd=upstream)
    git("add", "-A", cwd=upstream)
    git("commit", "-qm", "first edition", cwd=upstream)

    # a learner clones it, starts chapter 09 and solves it in work/
    git("clone", "-q", str(upstream), str(tmp_path / "learner"), cwd=tmp_path)
    mine = tmp_path / "learner"
    proc = course("start", "09", cwd=mine / "exercises")
    assert proc.returncode == 0 and "work/09_demo.ipynb" in proc.stdout
    copy = mine / "work" / "09_demo.ipynb"
    solved = solve_in_place(copy)
    assert git("status", "--porcelain", cwd=mine) == ""  # work/ is ignored: nothing to commit or conflict

    # what `make exercises`, `make check-exercises` and the tests' fresh builds do leaves it alone
    for args in (["build"], ["build", "--check"], ["build", "--force"]):
        assert course(*args, cwd=mine).returncode == 0
    build(mine, out_dir=tmp_path / "fresh")
    assert copy.read_bytes() == solved

    # the course moves on: the solution and its generated stub change upstream
    sol = upstream / "solutions" / "09_demo.ipynb"
    sol.write_text(sol.read_text().replace("# Demo", "# Demo, second edition"))
    assert build(upstream).changed == ("exercises/09_demo.ipynb",)
    git("commit", "-qam", "second edition", cwd=upstream)

    git("pull", "-q", "--ff-only", cwd=mine)
    assert "second edition" in (mine / "exercises" / "09_demo.ipynb").read_text()
    assert copy.read_bytes() == solved
    assert course("build", "--check", cwd=mine).returncode == 0
    proc = course("start", "09", cwd=mine)
    assert proc.returncode == 0 and "already have a working copy" in proc.stdout and copy.read_bytes() == solved
