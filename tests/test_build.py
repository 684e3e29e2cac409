import json
import os
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from course_tools.author import answer, check, md, write
from course_tools.build import STUB, build, exercise_notebook, holds_only_stubs, strip_solutions, stub_fingerprint
from course_tools.notebooks import CourseNotFound, NotebookError, find_root, read_notebook


def tiny_course(root, chapters=("09",)):
    """A course folder the tools recognise: pyproject.toml and solutions/ with one solved notebook each."""
    (root / "solutions").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for ch in chapters:
        write(root / "solutions" / f"{ch}_demo.ipynb", [
            md("# Demo"),
            answer("f", 2, "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
            check("f", "assert f(1) == 1"),
        ])
    return root


def solve_in_place(path, body="    return x  # my answer"):
    """What a learner does in Jupyter: replace the stub by an answer and save (with outputs)."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "answer" in c.metadata.get("tags", []))
    cell.source = cell.source.replace(f"    # YOUR CODE HERE\n    {STUB}", body)
    cell.outputs = [nbformat.v4.new_output("stream", text="ran")]
    cell.execution_count = 1
    nbformat.write(nb, path)
    return path.read_bytes()


def test_strip_keeps_indentation_and_signature():
    src = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    out = strip_solutions(src)
    assert out == "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    " + STUB + "\n"


def test_strip_handles_several_regions_and_top_level():
    src = "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\n### BEGIN SOLUTION\nc = 3\n### END SOLUTION"
    out = strip_solutions(src)
    assert out.count(STUB) == 2 and "b = 2" in out and "a = 1" not in out and "c = 3" not in out


@pytest.mark.parametrize("src", ["### BEGIN SOLUTION\nx = 1\n", "x = 1\n### END SOLUTION\n"])
def test_unbalanced_markers_are_refused(src):
    with pytest.raises(NotebookError, match="unbalanced"):
        strip_solutions(src, "nb")


def test_exercise_notebook_keeps_ids_tags_metadata_and_drops_outputs(tmp_path):
    path = write(tmp_path / "09_demo.ipynb", [
        md("# Demo"),
        answer("f", 2, "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"),
        check("f", "assert f(1) == 1"),
    ])
    nb = read_notebook(path)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells[1].execution_count = 3
    ex = exercise_notebook(nb)
    assert [c.id for c in ex.cells] == [c.id for c in nb.cells]
    assert ex.cells[1].metadata == nb.cells[1].metadata
    assert ex.cells[1].outputs == [] and ex.cells[1].execution_count is None
    assert STUB in ex.cells[1].source and "return x" not in ex.cells[1].source


def test_build_check_detects_stale_and_extra(tmp_path):
    tiny_course(tmp_path)
    assert build(tmp_path, check=True).changed == ("exercises/09_demo.ipynb",)
    assert build(tmp_path).changed == ("exercises/09_demo.ipynb",)
    assert build(tmp_path, check=True).changed == ()
    (tmp_path / "exercises" / "08_orphan.ipynb").write_text("{}")
    assert build(tmp_path, check=True).changed == (
        "exercises/08_orphan.ipynb (no matching solution) (holds edits: `course build` leaves it alone without "
        "--force)",)


def test_build_check_writes_nothing(tmp_path):
    tiny_course(tmp_path)
    assert build(tmp_path, check=True).changed == ("exercises/09_demo.ipynb",)
    assert not (tmp_path / "exercises").exists()
    build(tmp_path)
    stub = tmp_path / "exercises" / "09_demo.ipynb"
    stub.write_text(stub.read_text().replace("# Demo", "# Old title"))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = build(tmp_path, check=True)
    assert result.changed and result.refused == () and result.backups == ()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_generated_stub_is_recognised_even_after_running_it(tmp_path):
    tiny_course(tmp_path)
    build(tmp_path)
    stub = tmp_path / "exercises" / "09_demo.ipynb"
    nb = nbformat.read(stub, as_version=4)
    for cell in nb.cells:  # a learner ran the stub: outputs and editor metadata, no code of theirs
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="NotImplementedError")]
            cell.execution_count = 1
            cell.metadata["collapsed"] = False
    nbformat.write(nb, stub)
    assert holds_only_stubs(stub)
    solve_in_place(stub)
    assert not holds_only_stubs(stub)


def test_build_never_overwrites_or_deletes_a_learners_work_without_force(tmp_path):
    tiny_course(tmp_path)
    build(tmp_path)
    solved = solve_in_place(tmp_path / "exercises" / "09_demo.ipynb")
    copy = tmp_path / "exercises" / "09_demo-Copy1.ipynb"  # what Jupyter's "Duplicate" makes
    copy.write_bytes(solved)
    # the course moves on: the solution changes, so exercises/09_demo.ipynb is stale
    sol = tmp_path / "solutions" / "09_demo.ipynb"
    sol.write_text(sol.read_text().replace("# Demo", "# Demo, second edition"))

    result = build(tmp_path)
    assert result.changed == () and result.backups == ()
    assert result.refused == ("exercises/09_demo.ipynb", "exercises/09_demo-Copy1.ipynb")
    assert (tmp_path / "exercises" / "09_demo.ipynb").read_bytes() == solved and copy.read_bytes() == solved

    result = build(tmp_path, force=True)
    assert set(result.changed) == {"exercises/09_demo.ipynb", "exercises/09_demo-Copy1.ipynb (no matching solution)"}
    assert not copy.exists() and "second edition" in (tmp_path / "exercises" / "09_demo.ipynb").read_text()
    assert len(result.backups) == 2
    for backup in result.backups:
        assert backup.startswith("work/backups/exercises-") and (tmp_path / backup).read_bytes() == solved


def test_a_generated_stub_without_a_solution_is_removed(tmp_path):
    tiny_course(tmp_path, chapters=("08", "09"))
    build(tmp_path)
    (tmp_path / "solutions" / "08_demo.ipynb").unlink()
    result = build(tmp_path)
    assert result.changed == ("exercises/08_demo.ipynb (no matching solution)",) and result.refused == ()
    assert not (tmp_path / "exercises" / "08_demo.ipynb").exists()


def test_build_into_another_folder_leaves_exercises_alone(tmp_path):
    tiny_course(tmp_path)
    build(tmp_path)
    solved = solve_in_place(tmp_path / "exercises" / "09_demo.ipynb")
    fresh = tmp_path / "fresh"
    assert build(tmp_path, out_dir=fresh).changed == ("fresh/09_demo.ipynb",)
    assert STUB in read_notebook(fresh / "09_demo.ipynb").cells[1].source
    assert (tmp_path / "exercises" / "09_demo.ipynb").read_bytes() == solved


def test_the_course_is_found_from_the_working_directory(tmp_path, monkeypatch):
    tiny_course(tmp_path / "course")
    (tmp_path / "course" / "notebooks" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "course" / "notebooks" / "deep")
    assert find_root() == (tmp_path / "course").resolve()
    assert find_root(tmp_path / "course") == (tmp_path / "course").resolve()
    with pytest.raises(CourseNotFound, match="not a course folder"):
        find_root(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CourseNotFound, match="no course found .* pass --root"):
        find_root()


def test_a_second_checkout_never_writes_into_the_first(tmp_path):
    """The same environment (this checkout's course_tools on the path) acting on another checkout."""
    other = tiny_course(tmp_path / "other")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    mine_before = {p: p.stat().st_mtime_ns for p in (ROOT / "exercises").glob("*.ipynb")}
    proc = subprocess.run([sys.executable, "-m", "course_tools.cli", "build"], cwd=other, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (other / "exercises" / "09_demo.ipynb").is_file()
    assert {p: p.stat().st_mtime_ns for p in (ROOT / "exercises").glob("*.ipynb")} == mine_before
    proc = subprocess.run([sys.executable, "-m", "course_tools.cli", "build", "--check"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no course found" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "course_tools.cli", "build", "--check", "--root", str(other)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and "up to date" in proc.stdout


def test_course_build_command_refuses_then_forces_with_a_backup(tmp_path):
    tiny_course(tmp_path)
    build(tmp_path)
    solved = solve_in_place(tmp_path / "exercises" / "09_demo.ipynb")
    sol = tmp_path / "solutions" / "09_demo.ipynb"
    sol.write_text(sol.read_text().replace("# Demo", "# Demo, second edition"))

    def course(*args):
        return subprocess.run([sys.executable, "-m", "course_tools.cli", *args, "--root", str(tmp_path)],
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})

    proc = course("build", "--check")
    assert proc.returncode == 1 and "holds edits" in proc.stderr
    proc = course("build")
    assert proc.returncode == 1 and "your work is safe" in proc.stderr and "--force" in proc.stderr
    assert (tmp_path / "exercises" / "09_demo.ipynb").read_bytes() == solved
    proc = course("build", "--force")
    assert proc.returncode == 0 and "kept a backup: work/backups/" in proc.stdout
    assert [p.read_bytes() for p in (tmp_path / "work" / "backups").rglob("*.ipynb")] == [solved]


def test_generated_notebooks_record_their_fingerprint():
    nb = exercise_notebook(read_notebook(ROOT / "solutions" / "01_energy.ipynb"))
    record = nb.metadata["course"]["generated"]
    assert record["by"] == "course build" and len(record["sha256"]) == 64
    assert nb.metadata["course"]["chapter"] == "01"
    raw = json.loads(nbformat.writes(nb))
    assert stub_fingerprint(raw) == record["sha256"]
    raw["cells"][-1]["source"] += "\n# a learner's line"
    assert stub_fingerprint(raw) != record["sha256"]


def test_the_repository_exercises_are_up_to_date():
    assert build(ROOT, check=True).changed == (), "exercises/ is stale: run `course build`"


@pytest.mark.parametrize("text,match", [
    ("", "empty"), ("{not json", "not valid JSON"), ('{"a": 1}', "no 'cells'"),
    ('{"cells": [], "nbformat": 3, "nbformat_minor": 0, "metadata": {}}', "nbformat 3"),
])
def test_malformed_notebooks_get_clear_errors(tmp_path, text, match):
    p = tmp_path / "01_bad.ipynb"
    p.write_text(text)
    with pytest.raises(NotebookError, match=match):
        read_notebook(p)
