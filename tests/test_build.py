import nbformat
import pytest

from course_tools.author import answer, check, code, md, write
from course_tools.build import STUB, build, exercise_notebook, strip_solutions
from course_tools.notebooks import NotebookError, read_notebook


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
    (tmp_path / "solutions").mkdir()
    write(tmp_path / "solutions" / "09_demo.ipynb", [code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")])
    assert build(tmp_path, check=True) == ["exercises/09_demo.ipynb"]
    assert build(tmp_path) == ["exercises/09_demo.ipynb"]
    assert build(tmp_path, check=True) == []
    (tmp_path / "exercises" / "08_orphan.ipynb").write_text("{}")
    assert build(tmp_path, check=True) == ["exercises/08_orphan.ipynb (no matching solution)"]


def test_the_repository_exercises_are_up_to_date():
    assert build(check=True) == [], "exercises/ is stale: run `course build`"


@pytest.mark.parametrize("text,match", [
    ("", "empty"), ("{not json", "not valid JSON"), ('{"a": 1}', "no 'cells'"),
    ('{"cells": [], "nbformat": 3, "nbformat_minor": 0, "metadata": {}}', "nbformat 3"),
])
def test_malformed_notebooks_get_clear_errors(tmp_path, text, match):
    p = tmp_path / "01_bad.ipynb"
    p.write_text(text)
    with pytest.raises(NotebookError, match=match):
        read_notebook(p)
